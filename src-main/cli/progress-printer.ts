/** Turns a run's events into the lines `snca train` prints: throttled progress, log lines, the last loss. */
import type { LogEntry, MetricPoint, Progress } from '../../shared/domain.ts';
import { formatDuration, formatMetric } from './metric-format.ts';

export class ProgressPrinter {
  private lastPrintAt = -Infinity;
  private lastPhase: string | null = null;
  private lastEpoch = -1;
  private loss: number | null = null;

  constructor(
    private readonly write: (line: string) => void,
    private readonly minIntervalMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  metrics(points: readonly MetricPoint[]): void {
    for (const p of points) if (p.key === 'loss') this.loss = p.value;
  }

  log(entry: LogEntry): void {
    if (entry.level === 'debug') return;
    const prefix = entry.level === 'info' ? '' : `${entry.level.toUpperCase()}: `;
    this.write(`${prefix}${entry.message}`);
  }

  progress(p: Progress): void {
    const t = this.now();
    const changed = p.phase !== this.lastPhase || p.epoch !== this.lastEpoch;
    if (!changed && t - this.lastPrintAt < this.minIntervalMs) return;
    this.lastPhase = p.phase;
    this.lastEpoch = p.epoch;
    const line = this.format(p);
    if (line === null) return;
    this.lastPrintAt = t;
    this.write(line);
  }

  private format(p: Progress): string | null {
    const epoch = `epoch ${p.epoch}/${p.epochs}`;
    switch (p.phase) {
      case 'starting':
        return 'starting…';
      case 'eval':
        return `${epoch} · evaluating kNN on the val split…`;
      case 'checkpoint':
        return null; // the epoch summary comes as a log line
      case 'train': {
        const parts = [epoch, `batch ${p.iteration}/${p.iterations}`];
        if (p.imagesPerSec > 0) parts.push(`${p.imagesPerSec.toFixed(0)} img/s`);
        if (p.etaSeconds !== null) parts.push(`eta ${formatDuration(p.etaSeconds)}`);
        if (this.loss !== null) parts.push(`loss ${formatMetric('loss', this.loss)}`);
        return parts.join(' · ');
      }
    }
  }
}
