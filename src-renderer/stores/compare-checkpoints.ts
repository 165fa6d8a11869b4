/**
 * Comparing 2–4 checkpoints: asks `compare.checkpoints` (which starts the missing
 * evaluations), follows those evaluations through `evaluation.changed` and asks again once
 * all have ended; then loads neighbour panels of the image the user picks.
 */
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import { ApiError } from '../../shared/api-error.ts';
import type { CompareCheckpointsResult, NeighbourPanel } from '../../shared/checkpoint-compare.ts';
import { useApiClient } from '../api/client-holder.ts';

export const useCompareCheckpointsStore = defineStore('compareCheckpoints', () => {
  const api = useApiClient();
  const ids = ref<number[]>([]);
  const result = shallowRef<CompareCheckpointsResult | null>(null);
  const error = ref<ApiError | null>(null);
  const panels = shallowRef<NeighbourPanel[] | null>(null);
  const pickedIndex = ref<number | null>(null);
  let attached = false;
  let generation = 0;

  async function ask(gen: number) {
    try {
      const r = await api.call('compare.checkpoints', { checkpointIds: ids.value });
      if (gen === generation) result.value = r;
    } catch (err) {
      if (gen === generation) error.value = ApiError.from(err);
    }
  }

  function attach() {
    if (attached) return;
    attached = true;
    api.on('evaluation.changed', (e) => {
      const r = result.value;
      if (!r || r.ready || !r.evaluations.some((x) => x.id === e.id)) return;
      const evaluations = r.evaluations.map((x) => (x.id === e.id ? e : x));
      result.value = { ...r, evaluations };
      if (evaluations.every((x) => x.status !== 'running')) void ask(generation);
    });
  }

  async function load(next: number[]) {
    attach();
    const gen = ++generation;
    ids.value = next;
    result.value = null;
    error.value = null;
    panels.value = null;
    pickedIndex.value = null;
    await ask(gen);
  }

  async function pick(index: number) {
    const r = result.value;
    if (!r?.ready) return;
    pickedIndex.value = index;
    try {
      const p = await api.call('compare.neighbours', { evaluationIds: r.evaluations.map((e) => e.id), index });
      if (pickedIndex.value === index) panels.value = p;
    } catch (err) {
      error.value = ApiError.from(err);
    }
  }

  return { ids, result, error, panels, pickedIndex, load, pick };
});
