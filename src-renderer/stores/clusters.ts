/**
 * Registered Slurm clusters, their checks, and submissions of runs and sweeps (to this machine
 * or a cluster) through `runs.submit`. The new-run form, the clusters screen and a cluster
 * run's detail panel reach the API through this store.
 */
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { MethodInput, MethodOutput } from '../../shared/api.ts';
import type { Cluster } from '../../shared/cluster.ts';
import { ApiError } from '../../shared/api-error.ts';
import { parseSweepAxis, SweepError, type SweepAxis } from '../../shared/sweep.ts';
import { useApiClient } from '../api/client-holder.ts';

export type ClusterChecks = MethodOutput<'clusters.check'>;
export type ClusterRunDetail = NonNullable<MethodOutput<'runs.cluster'>>;

/** Sweep editor rows (`lr` + `0.1, 0.05`) as axes; the first bad row is reported with its field. */
export function sweepAxesOf(rows: ReadonlyArray<{ path: string; values: string }>): { axes: SweepAxis[]; error: string | null } {
  const axes: SweepAxis[] = [];
  for (const row of rows) {
    if (!row.path.trim() && !row.values.trim()) continue;
    try {
      axes.push(parseSweepAxis(`${row.path.trim()}=${row.values.replace(/\s+/g, '')}`));
    } catch (err) {
      return { axes: [], error: err instanceof SweepError ? err.message.replace(/^--sweep /, '') : String(err) };
    }
  }
  return { axes, error: null };
}

export const useClustersStore = defineStore('clusters', () => {
  const api = useApiClient();
  const clusters = shallowRef<Cluster[]>([]);
  const loaded = ref(false);
  const error = ref<ApiError | null>(null);
  const checks = shallowRef<Record<string, ClusterChecks | 'running'>>({});
  const details = shallowRef<Record<string, ClusterRunDetail | null>>({});

  async function load() {
    try {
      clusters.value = await api.call('clusters.list', {});
      error.value = null;
    } catch (err) {
      error.value = ApiError.from(err);
    } finally {
      loaded.value = true;
    }
  }

  async function add(input: MethodInput<'clusters.add'>) {
    const added = await api.call('clusters.add', input);
    await load();
    return added;
  }

  async function remove(name: string) {
    await api.call('clusters.remove', { name });
    await load();
  }

  async function check(name: string, install: boolean) {
    checks.value = { ...checks.value, [name]: 'running' };
    try {
      const result = await api.call('clusters.check', { name, install });
      checks.value = { ...checks.value, [name]: result };
    } catch (err) {
      const { [name]: _, ...rest } = checks.value;
      checks.value = rest;
      throw err;
    }
  }

  function submit(input: MethodInput<'runs.submit'>) {
    return api.call('runs.submit', input);
  }

  /** The cluster side of a run; null for a run on this machine. */
  async function loadDetail(runId: string) {
    details.value = { ...details.value, [runId]: await api.call('runs.cluster', { id: runId }) };
  }

  async function fetchCheckpoint(id: number) {
    return api.call('checkpoints.fetch', { id });
  }

  return { clusters, loaded, error, checks, details, load, add, remove, check, submit, loadDetail, fetchCheckpoint };
});
