/**
 * Brings a cluster run's event log home: the lines read since the stored byte offset become
 * the same rows and events as a local training worker's messages (backend, metrics, logs,
 * checkpoints, epochs done), written in ONE transaction together with the new offset. A
 * crash between reading and writing therefore re-reads the same lines next time and writes
 * them once; and metric points at or below the run's last stored step of their key are
 * skipped, so that even a re-read log never duplicates a (run, key, step) row.
 *
 * How the attempt ended (`done` or `error`) is returned, not recorded: the run's state is
 * decided with Slurm's job state by the cluster scheduler.
 */
import type { MetricPoint } from '../../../shared/domain.ts';
import type { EventLogLine } from '../../cluster/event-log.ts';
import type { NewLogLine } from '../../store/logs-repository.ts';
import type { Store } from '../../store/store.ts';
import type { EventBus } from '../event-bus.ts';
import { summarizeRun } from '../run-summaries.ts';

export type AttemptEnd = { status: 'completed' } | { status: 'failed'; error: string } | null;

export interface IngestResult {
  metricRows: number;
  logLines: number;
  checkpoints: number;
  /** What the attempt reported at its end in these lines, if it did. */
  end: AttemptEnd;
}

export function ingestEventLines(store: Store, bus: EventBus, runId: string, lines: readonly EventLogLine[], nextOffset: number): IngestResult {
  const result: IngestResult = { metricRows: 0, logLines: 0, checkpoints: 0, end: null };
  const points: MetricPoint[] = [];
  const inserted: MetricPoint[] = [];
  const logs: NewLogLine[] = [];
  const lastStep = new Map<string, number>();
  const progress: EventLogLine['event'][] = [];
  let changed = false;
  const written = store.transaction(() => {
    const lastStepOf = (key: string): number => {
      let s = lastStep.get(key);
      if (s === undefined) {
        s = store.metrics.lastStep(runId, key) ?? -Infinity;
        lastStep.set(key, s);
      }
      return s;
    };
    const flushMetrics = () => {
      if (points.length > 0) store.metrics.insert(runId, points);
      inserted.push(...points);
      points.length = 0;
    };
    let maxStep = 0;
    for (const { event } of lines) {
      switch (event.type) {
        case 'started':
          store.runs.setBackend(runId, event.backend, event.device);
          changed = true;
          break;
        case 'progress':
          progress.push(event);
          if (event.progress.phase === 'checkpoint' && store.runs.raiseEpochsDone(runId, event.progress.epoch)) changed = true;
          break;
        case 'metrics':
          for (const p of event.points) {
            if (p.step <= lastStepOf(p.key)) continue;
            lastStep.set(p.key, p.step);
            points.push(p);
            maxStep = Math.max(maxStep, p.step);
          }
          break;
        case 'log':
          logs.push({ level: event.level, message: event.message, wallTime: Date.now() });
          break;
        case 'checkpoint': {
          // Metrics of the epoch land before its checkpoint row.
          flushMetrics();
          const row = store.checkpoints.record(runId, event.checkpoint, new Date().toISOString());
          const step = Math.max(maxStep, store.metrics.maxStep(runId) ?? 0);
          store.clusters.setCheckpointStep(row.id, step);
          if (store.runs.raiseEpochsDone(runId, event.checkpoint.epoch)) changed = true;
          result.checkpoints++;
          changed = true;
          break;
        }
        case 'done':
          result.end = event.status === 'completed' ? { status: 'completed' } : null;
          break;
        case 'error':
          result.end = { status: 'failed', error: event.message };
          logs.push({ level: 'error', message: event.detail ? `${event.message}\n${event.detail}` : event.message, wallTime: Date.now() });
          break;
      }
    }
    flushMetrics();
    result.metricRows = inserted.length;
    const entries = store.logs.append(runId, logs);
    result.logLines = entries.length;
    store.clusters.setLogOffset(runId, nextOffset);
    return entries;
  });
  if (inserted.length > 0) bus.emit('run.metrics', { runId, points: inserted });
  for (const entry of written) bus.emit('run.log', entry);
  const last = progress.at(-1);
  if (last?.type === 'progress') bus.emit('run.progress', { runId, ...last.progress });
  if (changed || result.metricRows > 0) {
    const summary = summarizeRun(store, runId);
    if (summary) bus.emit('run.changed', summary);
  }
  return result;
}
