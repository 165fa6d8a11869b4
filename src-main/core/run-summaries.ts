/** Builds the RunSummary the API and events carry from a row and its last metric values. */
import type { RunSummary } from '../../shared/domain.ts';
import { compareRunsNewestFirst, type RunsListCursor, type RunsListResult } from '../../shared/runs-list.ts';
import type { RunRecord } from '../store/runs-repository.ts';
import type { Store } from '../store/store.ts';

export function toRunSummary(r: RunRecord, metrics: Record<string, number>): RunSummary {
  return {
    id: r.id,
    name: r.name,
    preset: r.preset,
    arch: r.arch,
    datasetKind: r.datasetKind,
    status: r.status,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    error: r.error,
    backend: r.backend,
    device: r.device,
    epochs: r.epochs,
    epochsDone: r.epochsDone,
    metrics,
    queuePosition: r.queuePosition ?? null,
    tags: r.tags ?? [],
    notes: r.notes ?? '',
    version: r.version,
  };
}

export function summarizeRun(store: Store, id: string): RunSummary | undefined {
  const r = store.runs.get(id);
  return r ? toRunSummary(r, store.metrics.lastValues(id)) : undefined;
}

/** Summaries of the runs of `ids` that exist, keyed by id (two statements for a whole page). */
export function summarizeRuns(store: Store, ids: readonly string[]): Map<string, RunSummary> {
  const last = store.metrics.lastValuesByRun(ids);
  return new Map(store.runs.getMany(ids).map((r) => [r.id, toRunSummary(r, last.get(r.id) ?? {})]));
}

/**
 * One page of the runs list: `limit` runs older than `before`, newest first, and on the first
 * page every queued and running run as well (the queue is shown and reordered in full).
 */
export function summarizeRunsPage(store: Store, input: { limit: number; before?: RunsListCursor | undefined }): RunsListResult {
  const page = store.runs.listPage(input.limit, input.before);
  const last = page.at(-1);
  const next = page.length === input.limit && last ? { createdAt: last.createdAt, id: last.id } : null;
  const records = new Map(page.map((r) => [r.id, r]));
  if (!input.before) for (const r of store.runs.listAllActive()) if (!records.has(r.id)) records.set(r.id, r);
  const metrics = store.metrics.lastValuesByRun([...records.keys()]);
  const runs = [...records.values()].map((r) => toRunSummary(r, metrics.get(r.id) ?? {}));
  runs.sort(compareRunsNewestFirst);
  return { runs, total: store.runs.count(), next };
}
