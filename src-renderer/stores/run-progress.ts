/**
 * What the progress bar shows, from the latest 'run.progress' event and the run's summary.
 * The engine reports `epoch` 1-based (the epoch in progress, or just finished during eval and
 * checkpoint phases) and `iteration` as the iterations done in that epoch (0…iterations).
 */
import type { Progress, RunStatus, RunSummary } from '../../shared/domain.ts';

export interface ProgressView {
  /** 0…1 of the whole run. */
  fraction: number;
  epoch: number;
  epochs: number;
  iteration: number;
  iterations: number;
  phase: Progress['phase'] | null;
  imagesPerSec: number | null;
  etaSeconds: number | null;
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

export function progressFraction(p: Pick<Progress, 'epoch' | 'epochs' | 'iteration' | 'iterations'>): number {
  if (p.epochs <= 0) return 0;
  if (p.iterations <= 0) return clamp01(Math.max(0, p.epoch - 1) / p.epochs);
  return clamp01((Math.max(0, p.epoch - 1) + p.iteration / p.iterations) / p.epochs);
}

export function progressView(summary: Pick<RunSummary, 'status' | 'epochs' | 'epochsDone'>, progress: Progress | undefined): ProgressView {
  const status: RunStatus = summary.status;
  if (status === 'completed') {
    return {
      fraction: 1,
      epoch: summary.epochs,
      epochs: summary.epochs,
      iteration: progress?.iterations ?? 0,
      iterations: progress?.iterations ?? 0,
      phase: null,
      imagesPerSec: null,
      etaSeconds: 0,
    };
  }
  if (!progress) {
    return {
      fraction: clamp01(summary.epochs > 0 ? summary.epochsDone / summary.epochs : 0),
      epoch: summary.epochsDone,
      epochs: summary.epochs,
      iteration: 0,
      iterations: 0,
      phase: null,
      imagesPerSec: null,
      etaSeconds: null,
    };
  }
  const live = status === 'running' || status === 'queued';
  return {
    fraction: progressFraction(progress),
    epoch: progress.epoch,
    epochs: progress.epochs,
    iteration: progress.iteration,
    iterations: progress.iterations,
    phase: live ? progress.phase : null,
    imagesPerSec: live && progress.phase === 'train' && progress.imagesPerSec > 0 ? progress.imagesPerSec : null,
    etaSeconds: live ? progress.etaSeconds : null,
  };
}
