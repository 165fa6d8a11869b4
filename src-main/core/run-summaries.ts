/** Builds the RunSummary the API and events carry from a row and its last metric values. */
import type { RunSummary } from '../../shared/domain.ts';
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

export function summarizeAllRuns(store: Store): RunSummary[] {
  const last = store.metrics.lastValuesByRun();
  return store.runs.list().map((r) => toRunSummary(r, last.get(r.id) ?? {}));
}
