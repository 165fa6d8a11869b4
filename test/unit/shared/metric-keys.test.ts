/**
 * Every metric key that is written is one of METRIC_KEYS: the keys of a short real training
 * run and of the GPU sampler are collected and checked against the schemas that carry them
 * (the worker message the job runner validates, and the run.metrics event).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { events } from '../../../shared/api.ts';
import { METRIC_KEYS, MetricPointSchema, type MetricPoint } from '../../../shared/domain.ts';
import { findPreset, RunConfigSchema } from '../../../shared/run-config.ts';
import { EventBus } from '../../../src-main/core/event-bus.ts';
import { GpuSampler } from '../../../src-main/core/hardware.ts';
import { runTraining } from '../../../src-main/engine/train/trainer.ts';
import { openStore } from '../../../src-main/store/store.ts';
import { FromWorkerSchema } from '../../../src-main/workers/train-protocol.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';
import { newRun } from '../../fixtures/run-records.ts';

test('METRIC_KEYS has no duplicates and the metric point schema refuses any other key', () => {
  assert.equal(new Set(METRIC_KEYS).size, METRIC_KEYS.length);
  const point = { key: 'loss', step: 1, epoch: 0.5, value: 1, wallTime: 0 };
  assert.equal(MetricPointSchema.safeParse(point).success, true);
  const unknown = MetricPointSchema.safeParse({ ...point, key: 'train_los' });
  assert.equal(unknown.success, false);
});

test('a training run writes only declared keys, and every per-step and per-epoch key', { timeout: 120_000 }, async () => {
  const tmp = makeTempDir('snca-metric-keys-');
  try {
    const config = RunConfigSchema.parse({
      ...findPreset('mnist-demo')!.config,
      epochs: 1,
      batchSize: 50,
      dataset: { kind: 'mnist', trainSize: 100, valSize: 50 },
    });
    const batches: MetricPoint[][] = [];
    const status = await runTraining({ config, runDir: tmp.dir, backend: 'wasm' }, {
      started: () => {},
      progress: () => {},
      metrics: (p) => batches.push(p),
      log: () => {},
      checkpoint: () => {},
      cancelRequested: () => false,
    });
    assert.equal(status, 'completed');
    for (const points of batches) {
      const parsed = FromWorkerSchema.safeParse({ type: 'metrics', points });
      assert.ok(parsed.success, `worker message refused: ${JSON.stringify(points.map((p) => p.key))}`);
    }
    const written = [...new Set(batches.flat().map((p) => p.key))].sort();
    assert.deepEqual(written, ['epoch_seconds', 'images_per_sec', 'knn_top1', 'knn_top5', 'loss', 'lr', 'nn_top1', 'train_loss']);
  } finally {
    tmp.cleanup();
  }
});

test('the GPU sampler publishes only declared keys', async () => {
  const store = openStore(':memory:');
  try {
    const bus = new EventBus();
    store.runs.insert(newRun('r1'));
    store.runs.transition('r1', ['queued'], 'running');
    const published: unknown[] = [];
    bus.on('run.metrics', (payload) => published.push(payload));
    const sampler = new GpuSampler({ store, bus, runningIds: () => ['r1'], run: async () => '0, GPU, 50, 1000, 8000\n', diagnostics: () => {} });
    assert.equal(await sampler.sample(), 2);
    assert.equal(published.length, 1);
    const payload = events['run.metrics'].parse(published[0]);
    assert.deepEqual(payload.points.map((p) => p.key).sort(), ['gpu_mem_mb', 'gpu_util']);
    assert.deepEqual(Object.keys(store.metrics.lastValues('r1')).sort(), ['gpu_mem_mb', 'gpu_util']);
  } finally {
    store.close();
  }
});
