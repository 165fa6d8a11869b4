/** Presets from presets.list; offline ones (the MNIST demo) first, then the server's order. */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { MethodOutput } from '../../shared/api.ts';
import { ApiError } from '../../shared/api-error.ts';
import { useApiClient } from '../api/client-holder.ts';

export type PresetItem = MethodOutput<'presets.list'>[number];

export function orderPresets(list: readonly PresetItem[]): PresetItem[] {
  return list
    .map((p, i) => ({ p, i }))
    .sort((a, b) => Number(b.p.offline) - Number(a.p.offline) || a.i - b.i)
    .map((x) => x.p);
}

export const usePresetsStore = defineStore('presets', () => {
  const api = useApiClient();
  const presets = ref<PresetItem[]>([]);
  const loaded = ref(false);
  const error = ref<ApiError | null>(null);
  let inFlight: Promise<void> | null = null;

  function load(): Promise<void> {
    if (loaded.value) return Promise.resolve();
    inFlight ??= (async () => {
      try {
        presets.value = orderPresets(await api.call('presets.list', {}));
        loaded.value = true;
        error.value = null;
      } catch (err) {
        error.value = ApiError.from(err);
      } finally {
        inFlight = null;
      }
    })();
    return inFlight;
  }

  function byId(id: string): PresetItem | undefined {
    return presets.value.find((p) => p.id === id);
  }

  return { presets, loaded, error, load, byId };
});
