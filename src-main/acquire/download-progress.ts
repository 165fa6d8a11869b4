/** One-line text rendering of download progress, for the CLI's progress bar and logs. */
import type { DownloadProgress } from './archive-download.ts';

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

/** e.g. `[########------------]  41.2%  70.1/170.1 MB  5.3 MB/s` (no total: bytes and speed only). */
export function formatDownloadProgress(p: DownloadProgress, width = 20): string {
  const speed = `${mb(p.bytesPerSecond)} MB/s`;
  if (!p.totalBytes) return `${mb(p.receivedBytes)} MB  ${speed}`;
  const frac = Math.min(1, p.receivedBytes / p.totalBytes);
  const filled = Math.round(frac * width);
  const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
  const pct = `${(frac * 100).toFixed(1)}%`.padStart(6);
  return `[${bar}] ${pct}  ${mb(p.receivedBytes)}/${mb(p.totalBytes)} MB  ${p.done ? 'done' : speed}`;
}
