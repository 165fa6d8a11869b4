/**
 * Store ingestion and read benchmark: metric rows written the way the job supervisor writes
 * them (batches in one transaction, prepared statements), then one long series read and
 * downsampled for a chart. Target: >= 200k rows/s ingestion.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MetricKey, MetricPoint } from '../../shared/domain.ts';
import { openStore } from '../../src-main/store/store.ts';
import { downsampleSeries } from '../../src-main/store/series-downsampling.ts';

export interface StoreBenchOptions {
  rows?: number;
  batchSize?: number;
}

export async function benchStore(options: StoreBenchOptions = {}): Promise<Record<string, unknown>> {
  const rows = options.rows ?? 400_000;
  const batchSize = options.batchSize ?? 2_000;
  const dir = mkdtempSync(join(tmpdir(), 'snca-bench-store-'));
  const store = openStore(join(dir, 'snca.db'));
  try {
    const runId = 'bench-run';
    store.runs.insert({
      id: runId,
      name: 'bench',
      preset: 'custom',
      arch: 'small-convnet',
      datasetKind: 'mnist',
      configJson: '{}',
      createdAt: new Date().toISOString(),
      epochs: 1,
      ownerPid: process.pid,
      heartbeatAt: Date.now(),
    });
    // Realistic mix: per-iteration loss plus a few slower series.
    const keys: MetricKey[] = ['loss', 'loss', 'loss', 'lr', 'images_per_sec'];
    const batches: MetricPoint[][] = [];
    for (let start = 0; start < rows; start += batchSize) {
      const batch: MetricPoint[] = [];
      for (let i = start; i < Math.min(rows, start + batchSize); i++) {
        batch.push({ key: keys[i % keys.length]!, step: i, epoch: i / 5000, value: Math.sin(i / 100) + 1, wallTime: 1.7e12 + i });
      }
      batches.push(batch);
    }
    const t0 = performance.now();
    for (const batch of batches) store.metrics.insert(runId, batch);
    const writeSeconds = (performance.now() - t0) / 1000;

    const t1 = performance.now();
    const series = store.metrics.series(runId, 'loss');
    const readSeconds = (performance.now() - t1) / 1000;
    const t2 = performance.now();
    const chart = downsampleSeries(series, 2000);
    const downsampleSeconds = (performance.now() - t2) / 1000;

    return {
      rows,
      batchSize,
      writeSeconds: round(writeSeconds),
      rowsPerSecond: Math.round(rows / writeSeconds),
      targetRowsPerSecond: 200_000,
      meetsTarget: rows / writeSeconds >= 200_000,
      seriesPoints: series.value.length,
      seriesReadSeconds: round(readSeconds),
      downsampledPoints: chart.value.length,
      downsampleSeconds: round(downsampleSeconds),
    };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchStore(), null, 2));
}
