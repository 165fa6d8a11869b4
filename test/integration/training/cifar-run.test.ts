/**
 * A short real CIFAR-10 run: a generated CIFAR-10 folder (200 train / 100 val images, the
 * python version) goes through runs.create (dataset check), the scheduler and a real
 * training worker (wasm backend) with one data loader thread, and ends completed with
 * metrics: the worker gives the engine acquire/'s pickle reader and its ThreadStarter. The network is small-convnet on the
 * 32×32×3 images: cifar-resnet18 took ~68 s for these 200 images on the 2-core wasm
 * development machine, too slow for the suite.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { findPreset, RunConfigSchema } from '../../../shared/run-config.ts';
import { startTestCore } from '../../fixtures/test-core.ts';
import { fakeCifar, writeCifar } from '../../unit/engine/data/cifar-fixtures.ts';

test('a 1-epoch run on a generated CIFAR-10 folder trains in a worker and completes with metrics', { timeout: 180_000 }, async () => {
  const t = await startTestCore('real-trainer', { backend: 'wasm' });
  const { core } = t;
  try {
    const root = join(t.home, 'cifar');
    writeCifar(root, 'cifar10', 'python', fakeCifar('cifar10', 40, 100));
    const config = RunConfigSchema.parse({
      ...findPreset('cifar10-paper')!.config,
      name: 'cifar integration',
      dataset: { kind: 'cifar10', root },
      arch: 'small-convnet',
      epochs: 1,
      batchSize: 16,
      lowDim: 16,
      workers: 1,
    });
    const created = await core.handlers['runs.create']({ config });
    const ended = await core.runs.whenEnded(created.id);
    assert.equal(ended.status, 'completed', ended.error ?? '');
    assert.equal(ended.epochsDone, 1);
    const series = await core.handlers['runs.metrics']({ id: created.id, maxPoints: 100000 });
    const byKey = new Map(series.map((s) => [s.key, s.value]));
    // 200 images in batches of 16: 13 iterations, one loss row each.
    assert.equal(byKey.get('loss')?.length, 13);
    assert.ok(byKey.get('loss')!.every(Number.isFinite));
    for (const key of ['knn_top1', 'knn_top5', 'nn_top1']) {
      const v = byKey.get(key)?.at(-1);
      assert.ok(v !== undefined && v >= 0 && v <= 1, `${key} ${v}`);
    }
    const logs = await core.handlers['runs.logs']({ id: created.id, afterId: 0, limit: 500 });
    assert.ok(logs.some((l) => /Dataset cifar10: 200 train \/ 100 val samples, 10 classes/.test(l.message)), logs.map((l) => l.message).join('\n'));
    assert.ok(logs.some((l) => /\(python version\)/.test(l.message)), 'read by the pickle reader');
  } finally {
    await t.dispose();
  }
});

test('a batch that does not fit the 4 GB wasm heap fails the run with an actionable message, and the next run trains', { timeout: 240_000 }, async () => {
  const t = await startTestCore('real-trainer', { backend: 'wasm' });
  const { core } = t;
  try {
    const root = join(t.home, 'cifar');
    writeCifar(root, 'cifar10', 'binary', fakeCifar('cifar10', 100, 100));
    const paper = findPreset('cifar10-paper')!.config;
    // CIFAR ResNet-18 at batch 500 needs ~4.5 GB of tensors (measured: fails after ~22 s).
    const tooBig = RunConfigSchema.parse({ ...paper, name: 'too big', dataset: { kind: 'cifar10', root }, epochs: 1, batchSize: 500, workers: 0 });
    const failed = await core.runs.whenEnded((await core.handlers['runs.create']({ config: tooBig })).id);
    assert.equal(failed.status, 'failed');
    assert.match(failed.error ?? '', /WebAssembly heap \(4 GB\) is exhausted: .* at batch size 500\. Lower the batch size/);

    const small = RunConfigSchema.parse({ ...paper, name: 'after', dataset: { kind: 'cifar10', root }, arch: 'small-convnet', epochs: 1, batchSize: 50, lowDim: 16, workers: 0 });
    const after = await core.runs.whenEnded((await core.handlers['runs.create']({ config: small })).id);
    assert.equal(after.status, 'completed', after.error ?? '');
  } finally {
    await t.dispose();
  }
});
