/**
 * The offline demo end to end on the backend in use: the MNIST-demo preset trained for
 * its 5 epochs with kNN evaluation after each, exactly as a run would do it (minus the
 * worker thread and SQLite, which the store benchmark covers).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPreset, RunConfigSchema } from '../../shared/run-config.ts';
import { runTraining } from '../../src-main/engine/train/trainer.ts';

export async function benchDemo(opts: { epochs?: number } = {}): Promise<Record<string, unknown>> {
  const preset = findPreset('mnist-demo');
  if (!preset) throw new Error('the mnist-demo preset is missing');
  const config = RunConfigSchema.parse({ ...preset.config, ...(opts.epochs ? { epochs: opts.epochs } : {}) });
  const runDir = mkdtempSync(join(tmpdir(), 'snca-bench-demo-'));
  const metrics = new Map<string, number[]>();
  let backend = '';
  const start = performance.now();
  try {
    await runTraining({ config, runDir }, {
      started: (info) => (backend = `${info.name} (${info.device})`),
      progress: () => {},
      metrics: (points) => {
        for (const p of points) metrics.set(p.key, [...(metrics.get(p.key) ?? []), p.value]);
      },
      log: () => {},
      checkpoint: () => {},
      cancelRequested: () => false,
    });
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
  const totalSeconds = (performance.now() - start) / 1000;
  const perEpoch = metrics.get('epoch_seconds') ?? [];
  const ips = metrics.get('images_per_sec') ?? [];
  const last = (k: string) => metrics.get(k)?.at(-1);
  return {
    backend,
    epochs: config.epochs,
    train_images_per_sec_mean: ips.reduce((a, b) => a + b, 0) / Math.max(1, ips.length),
    seconds_per_epoch_mean: perEpoch.reduce((a, b) => a + b, 0) / Math.max(1, perEpoch.length),
    total_seconds_including_eval: totalSeconds,
    knn_top1: last('knn_top1'),
    knn_top5: last('knn_top5'),
    nn_top1: last('nn_top1'),
  };
}
