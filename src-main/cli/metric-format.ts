/** How the CLI prints metric values, durations and times. */
import { isAccuracyKey, type MetricKey } from '../../shared/domain.ts';

export function formatMetric(key: string, value: number): string {
  if (isAccuracyKey(key)) return `${(value * 100).toFixed(2)}%`;
  if (key === 'lr') return value.toPrecision(3);
  if (key === 'images_per_sec') return value.toFixed(0);
  if (key === 'epoch_seconds') return `${value.toFixed(1)} s`;
  return Math.abs(value) >= 1000 || (value !== 0 && Math.abs(value) < 1e-3) ? value.toExponential(3) : value.toFixed(4);
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(rest).padStart(2, '0')}s`;
  return `${rest}s`;
}

/** `2025-01-31 14:05` in local time; the raw text when it is not a date. */
export function formatLocalTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** The metrics a person looks at first, in that order, then the rest. */
const HEADLINE_KEYS: readonly MetricKey[] = ['loss', 'knn_top1', 'knn_top5', 'nn_top1'];

export function formatMetricsLine(metrics: Record<string, number>, keys: readonly string[] = HEADLINE_KEYS): string {
  return keys
    .filter((k) => metrics[k] !== undefined)
    .map((k) => `${k} ${formatMetric(k, metrics[k]!)}`)
    .join(' · ');
}
