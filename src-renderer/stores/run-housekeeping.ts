/**
 * Queue order and run housekeeping for the renderer: reorder / remove queued runs, rename,
 * tags, notes, delete, export and disk usage per run. Run summaries coming back are merged
 * into the runs store; deletions arrive as `run.removed` (handled there too).
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { RunSummary } from '../../shared/domain.ts';
import { RUNS_DISK_USAGE_MAX } from '../../shared/api.ts';
import { useApiClient } from '../api/client-holder.ts';
import { useRunsStore } from './runs.ts';

/** Queued runs in queue order. */
export function queuedInOrder(list: readonly RunSummary[]): RunSummary[] {
  return list
    .filter((r) => r.status === 'queued')
    .sort((a, b) => (a.queuePosition ?? Infinity) - (b.queuePosition ?? Infinity) || a.createdAt.localeCompare(b.createdAt));
}

/** The queue order after moving `id` one place up (-1) or down (+1); null when it cannot move. */
export function movedOrder(list: readonly RunSummary[], id: string, delta: -1 | 1): string[] | null {
  const ids = queuedInOrder(list).map((r) => r.id);
  const i = ids.indexOf(id);
  const j = i + delta;
  if (i < 0 || j < 0 || j >= ids.length) return null;
  [ids[i], ids[j]] = [ids[j]!, ids[i]!];
  return ids;
}

export function formatBytes(n: number | undefined): string {
  if (n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

export const useRunHousekeepingStore = defineStore('run-housekeeping', () => {
  const api = useApiClient();
  const runs = useRunsStore();
  const diskUsage = ref<Record<string, number>>({});

  /** Fetches the disk usage of these runs (in calls of at most RUNS_DISK_USAGE_MAX) into `diskUsage`. */
  async function loadDiskUsage(ids: readonly string[]) {
    for (let i = 0; i < ids.length; i += RUNS_DISK_USAGE_MAX) {
      const list = await api.call('runs.diskUsage', { ids: ids.slice(i, i + RUNS_DISK_USAGE_MAX) });
      diskUsage.value = { ...diskUsage.value, ...Object.fromEntries(list.map((r) => [r.id, r.bytes])) };
    }
  }

  /** Forgets every size fetched (they grow while runs train); the next loads fetch them afresh. */
  function resetDiskUsage() {
    diskUsage.value = {};
  }

  async function move(id: string, delta: -1 | 1) {
    const order = movedOrder(runs.runs, id, delta);
    if (!order) return;
    const queued = await api.call('runs.reorder', { ids: order });
    for (const r of queued) runs.applyRun(r);
  }

  async function removeQueued(id: string) {
    await api.call('runs.removeQueued', { id });
    runs.forget(id);
  }

  async function update(input: { id: string; name?: string; tags?: string[]; notes?: string }) {
    runs.applyRun(await api.call('runs.update', input));
  }

  async function remove(id: string) {
    await api.call('runs.delete', { id });
    runs.forget(id);
  }

  /** The export file (the component hands it to the browser as a download). */
  async function exportRun(id: string, format: 'csv' | 'json') {
    return api.call('runs.export', { id, format });
  }

  return { diskUsage, loadDiskUsage, resetDiskUsage, move, removeQueued, update, remove, exportRun };
});
