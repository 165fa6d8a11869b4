/**
 * Comparing 2–4 checkpoints or imported models: asks `compare.checkpoints` (which starts the
 * missing evaluations), follows those evaluations through `evaluation.changed` (and their
 * `evaluation.progress`) and asks again once all have ended; then loads neighbour panels of
 * the image the user picks.
 */
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import { ApiError } from '../../shared/api-error.ts';
import type { CompareCheckpointsResult, CompareSide, NeighbourPanel } from '../../shared/checkpoint-compare.ts';
import type { EvaluationProgress } from '../../shared/domain.ts';
import { useApiClient } from '../api/client-holder.ts';

/** The sides a route names: its checkpoints, then its imported models. */
export function sidesOf(route: { ids: number[]; models?: string[] }): CompareSide[] {
  return [...route.ids.map((id): CompareSide => ({ kind: 'checkpoint', id })), ...(route.models ?? []).map((modelId): CompareSide => ({ kind: 'model', modelId }))];
}

export const useCompareCheckpointsStore = defineStore('compareCheckpoints', () => {
  const api = useApiClient();
  const sides = ref<CompareSide[]>([]);
  /** The latest progress of each running evaluation of the comparison, by evaluation id. */
  const progress = shallowRef<Record<number, EvaluationProgress>>({});
  const result = shallowRef<CompareCheckpointsResult | null>(null);
  const error = ref<ApiError | null>(null);
  const panels = shallowRef<NeighbourPanel[] | null>(null);
  const pickedIndex = ref<number | null>(null);
  let attached = false;
  let generation = 0;

  async function ask(gen: number) {
    try {
      const r = await api.call('compare.checkpoints', { sides: sides.value });
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
    api.on('evaluation.progress', (p) => {
      if (result.value?.evaluations.some((x) => x.id === p.id)) progress.value = { ...progress.value, [p.id]: p };
    });
  }

  async function load(next: CompareSide[]) {
    attach();
    const gen = ++generation;
    sides.value = next;
    progress.value = {};
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

  return { sides, progress, result, error, panels, pickedIndex, load, pick };
});
