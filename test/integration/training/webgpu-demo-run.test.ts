/**
 * A shortened MNIST-demo run on webgpu (Dawn in the training worker_thread, the software
 * adapter where there is no GPU) completes through the scheduler, records the adapter as
 * its device, and writes a checkpoint that loads on wasm and embeds like webgpu within 1e-4.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { readCheckpoint } from '../../../src-main/engine/checkpoint/checkpoint-reader.ts';
import { createModel } from '../../../src-main/engine/models/model.ts';
import { importStateDict, type StateDictInput } from '../../../src-main/engine/models/state-dict.ts';
import type { RunConfig } from '../../../shared/run-config.ts';
import { startTestCore } from '../../fixtures/test-core.ts';
import { seededValues, useBackend } from '../../unit/engine/use-backend.ts';
import { maxScaledDiff, TINY_WEBGPU_RUN, useWebGpu } from '../../unit/engine/webgpu/software-webgpu.ts';
import { demoConfig } from '../../fixtures/run-records.ts';

/** Embeddings of 8 fixed 28×28 inputs by the checkpoint's weights on the active backend. */
async function embed(path: string, config: RunConfig): Promise<Float32Array> {
  const ckpt = readCheckpoint(path);
  const model = createModel(config.arch, { lowDim: config.lowDim, inputShape: [28, 28, 1], seed: config.seed });
  try {
    const entries = new Map<string, StateDictInput>();
    for (const slot of model.stateDict) {
      const t = ckpt.tensors.get(slot.name);
      assert.ok(t, `checkpoint has ${slot.name}`);
      entries.set(slot.name, { shape: t.shape, dtype: t.dtype === 'I64' ? 'int64' : 'float32', data: t.data as Float32Array | BigInt64Array });
    }
    importStateDict(model, entries);
    const x = tf.tensor4d(seededValues(8 * 28 * 28, 11).map((v) => (v + 1) / 2), [8, 28, 28, 1]);
    const y = model.apply(x, false);
    const out = (await y.data()) as Float32Array;
    tf.dispose([x, y]);
    return out;
  } finally {
    model.dispose();
  }
}

test('an MNIST-demo epoch trains on webgpu in a worker; its checkpoint embeds the same on wasm', { timeout: 900_000 }, async () => {
  const info = await useWebGpu(); // sets SNCA_BACKEND=webgpu, which the training worker inherits
  const t = await startTestCore('real-trainer', { backend: 'webgpu' });
  const { core } = t;
  try {
    const config = demoConfig({ ...TINY_WEBGPU_RUN, name: 'webgpu demo', epochs: 1 });
    const created = await core.handlers['runs.create']({ config });
    const ended = await core.runs.whenEnded(created.id);
    assert.equal(ended.status, 'completed', ended.error ?? '');
    assert.equal(ended.backend, 'webgpu');
    assert.equal(ended.device, info.device, 'the run records the adapter as its device');
    const series = await core.handlers['runs.metrics']({ id: created.id, maxPoints: 1000 });
    const loss = series.find((s) => s.key === 'loss')!;
    assert.equal(loss.value.length, 2);
    assert.ok(loss.value.every(Number.isFinite), `losses ${loss.value}`);
    assert.ok((ended.metrics.knn_top1 ?? -1) >= 0);

    const latest = (await core.handlers['runs.checkpoints']({ id: created.id })).find((c) => c.kind === 'latest');
    assert.ok(latest, 'latest checkpoint recorded');
    const onGpu = await embed(latest.path, config);
    await useBackend('wasm');
    const onWasm = await embed(latest.path, config);
    const diff = maxScaledDiff(onGpu, onWasm);
    assert.ok(diff <= 1e-4, `embeddings differ by ${diff.toExponential(2)}`);
  } finally {
    await t.dispose();
    delete process.env.SNCA_BACKEND;
  }
});
