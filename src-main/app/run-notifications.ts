/** A desktop notification when a run ends (completed, failed, cancelled or interrupted). */
import type { RunSummary } from '../../shared/domain.ts';
import { ENDED_STATUSES } from '../../shared/domain.ts';
import type { EventBus } from '../core/event-bus.ts';

export interface RunNotice {
  title: string;
  body: string;
}

const VERB: Record<(typeof ENDED_STATUSES)[number], string> = {
  completed: 'finished',
  failed: 'failed',
  cancelled: 'was cancelled',
  interrupted: 'was interrupted',
};

/** The notice for a run that has just ended, or null for any other change. */
export function runEndNotice(run: RunSummary, previousStatus: string | undefined): RunNotice | null {
  const status = run.status as (typeof ENDED_STATUSES)[number];
  if (!(ENDED_STATUSES as readonly string[]).includes(status) || previousStatus === status) return null;
  const metric = Object.entries(run.metrics).find(([k]) => k === 'knn_top1' || k === 'val_top1');
  const detail = status === 'failed' && run.error ? `: ${run.error.slice(0, 160)}` : metric ? ` (${metric[0]} ${metric[1].toFixed(2)})` : '';
  return { title: `Run ${VERB[status]}`, body: `${run.name} ${VERB[status]} after ${run.epochsDone}/${run.epochs} epochs${detail}` };
}

/** Shows a notice for every run that ends; returns the unsubscribe function. */
export function notifyRunEnds(bus: EventBus, show: (notice: RunNotice) => void): () => void {
  const last = new Map<string, string>();
  return bus.on('run.changed', (run) => {
    const notice = runEndNotice(run, last.get(run.id));
    last.set(run.id, run.status);
    if (notice) show(notice);
  });
}
