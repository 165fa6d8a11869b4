/**
 * The walking skeleton for real: a shortened MNIST-demo run goes through the scheduler,
 * a real training worker_thread (wasm backend), and lands in SQLite with metrics, logs
 * and a verified checkpoint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readCheckpoint } from '../../../src-main/engine/checkpoint/checkpoint-reader.ts';
import { MEMORY_TENSOR } from '../../../src-main/engine/checkpoint/checkpoint-format.ts';
import { findPreset, RunConfigSchema } from '../../../shared/run-config.ts';
import { startTestCore } from '../../fixtures/test-core.ts';

test('a 1-epoch MNIST-demo run trains in a worker thread and lands in SQLite', { timeout: 180_000 }, async () => {
  const t = await startTestCore('real-trainer', { backend: 'wasm' });
  const { core } = t;
  try {
    const preset = findPreset('mnist-demo')!;
    const config = RunConfigSchema.parse({
      ...preset.config,
      name: 'integration demo',
      epochs: 1,
      batchSize: 50,
      dataset: { kind: 'mnist', trainSize: 1000, valSize: 500 },
    });
    const created = await core.handlers['runs.create']({ config });
    assert.ok(['queued', 'running'].includes(created.status), created.status);
    const ended = await core.runs.whenEnded(created.id);
    assert.equal(ended.status, 'completed', ended.error ?? '');
    assert.equal(ended.backend, 'wasm');
    assert.match(ended.device ?? '', /wasm/);
    assert.equal(ended.epochsDone, 1);

    // One loss row per iteration (1000 / 50), plus the epoch's evaluation.
    const series = await core.handlers['runs.metrics']({ id: created.id, maxPoints: 100000 });
    const byKey = new Map(series.map((s) => [s.key, s]));
    assert.equal(byKey.get('loss')?.value.length, 20);
    assert.ok(byKey.get('loss')!.value.every(Number.isFinite));
    const top1 = byKey.get('knn_top1')?.value.at(-1);
    assert.ok(top1 !== undefined && top1 > 0.3 && top1 <= 1, `knn_top1 ${top1}`);
    assert.ok((byKey.get('knn_top5')?.value.at(-1) ?? 0) >= top1);
    assert.equal(ended.metrics.knn_top1, top1);
    assert.equal(ended.metrics.lr, 0.1);

    const logs = await core.handlers['runs.logs']({ id: created.id, afterId: 0, limit: 500 });
    assert.ok(logs.some((l) => /Epoch 1\/1: loss/.test(l.message)), 'epoch log line stored');

    const checkpoints = await core.handlers['runs.checkpoints']({ id: created.id });
    const latest = checkpoints.find((c) => c.kind === 'latest');
    assert.ok(latest, 'latest checkpoint recorded');
    assert.ok(existsSync(latest.path));
    const loaded = readCheckpoint(latest.path, { expectedSha256: latest.sha256 });
    assert.equal(loaded.header.epoch, 1);
    assert.equal(loaded.header.config.name, 'integration demo');
    assert.deepEqual(loaded.tensors.get(MEMORY_TENSOR)?.shape, [1000, 128]);
    assert.deepEqual(loaded.tensors.get('conv1.weight')?.shape, [32, 1, 3, 3]);
  } finally {
    await t.dispose();
  }
});
