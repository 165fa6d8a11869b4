/** `snca runs` output: an aligned table for people, or JSON for scripts. */
import type { RunSummary } from '../../shared/domain.ts';
import { formatLocalTime, formatMetric } from './metric-format.ts';

export interface RunJson {
  id: string;
  name: string;
  status: string;
  preset: string;
  arch: string;
  dataset_kind: string;
  backend: string | null;
  device: string | null;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  epochs: number;
  epochs_done: number;
  error: string | null;
  /** Last value of each metric key; accuracies are fractions in [0, 1]. */
  metrics: Record<string, number>;
}

export function toRunJson(r: RunSummary): RunJson {
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    preset: r.preset,
    arch: r.arch,
    dataset_kind: r.datasetKind,
    backend: r.backend,
    device: r.device,
    created_at: r.createdAt,
    started_at: r.startedAt,
    ended_at: r.endedAt,
    epochs: r.epochs,
    epochs_done: r.epochsDone,
    error: r.error,
    metrics: r.metrics,
  };
}

const MAX_NAME = 28;

export function formatRunsTable(runs: readonly RunSummary[]): string {
  if (runs.length === 0) return 'No runs yet. Start one with: snca train --preset mnist-demo\n';
  const header = ['ID', 'NAME', 'STATUS', 'PRESET', 'BACKEND', 'EPOCHS', 'CREATED', 'KNN_TOP1'];
  const rows = runs.map((r) => [
    r.id,
    r.name.length > MAX_NAME ? `${r.name.slice(0, MAX_NAME - 1)}…` : r.name,
    r.status,
    r.preset,
    r.backend ?? '-',
    `${r.epochsDone}/${r.epochs}`,
    formatLocalTime(r.createdAt),
    r.metrics.knn_top1 === undefined ? '-' : formatMetric('knn_top1', r.metrics.knn_top1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
