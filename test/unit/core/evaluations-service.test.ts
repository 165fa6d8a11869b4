/**
 * Checkpoint evaluation end to end: a real small-convnet checkpoint on a small MNIST split,
 * evaluated by the real evaluate-worker through the core; the result is checked against
 * weighted kNN computed here, reused when asked again, and refused when the file is corrupt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { effectiveSigma } from '../../../shared/run-config.ts';
import { dispatchCall } from '../../../src-main/core/call-dispatch.ts';
import { openDataset } from '../../../src-main/engine/data/open-dataset.ts';
import { knnAccuracy, knnClassify } from '../../../src-main/engine/eval/knn.ts';
import { createModel } from '../../../src-main/engine/models/model.ts';
import { MemoryBank } from '../../../src-main/engine/nca/memory-bank.ts';
import { SGD } from '../../../src-main/engine/optim/sgd.ts';
import { embedSplit } from '../../../src-main/engine/train/knn-evaluation.ts';
import { writeCheckpoint } from '../../../src-main/engine/train/checkpoint-writer.ts';
import { demoConfig, newRun } from '../../fixtures/run-records.ts';
import { startTestCore } from '../../fixtures/test-core.ts';
import { useBackend } from '../engine/use-backend.ts';
import type { Evaluation } from '../../../shared/domain.ts';

test('evaluations: worker result matches kNN computed here, is reused, recompute agrees, corrupt file is refused naming path and mismatch', { timeout: 120_000 }, async () => {
  await useBackend('cpu');
  const t = await startTestCore('completing', { backend: 'cpu' });
  try {
    const config = demoConfig({ lowDim: 16, dataset: { kind: 'mnist', trainSize: 200, valSize: 60 }, seed: 3 });
    const run = newRun('evalrun', { configJson: JSON.stringify(config) });
    t.store.runs.insert(run);
    t.store.runs.transition('evalrun', ['queued'], 'completed');
    const runDir = t.core.paths.runDir('evalrun');

    // A checkpoint whose memory bank holds the model's own train features.
    const dataset = await openDataset(config.dataset, { workers: 0, log: () => {} });
    const model = createModel(config.arch, { lowDim: 16, inputShape: [...dataset.train.split.imageShape], seed: 3 });
    const bank = MemoryBank.initUniform(dataset.train.split.size, 16, dataset.train.split.labels, 3);
    const trainF = (await embedSplit(model, dataset.train, 64, () => false)) as tf.Tensor2D;
    bank.memory.assign(trainF);
    const valF = (await embedSplit(model, dataset.val, 64, () => false)) as tf.Tensor2D;
    const sigma = effectiveSigma(config);
    const expected = knnAccuracy(
      await knnClassify(valF, trainF, dataset.train.split.labels, { k: 30, sigma, numClasses: 10 }),
      dataset.val.split.labels,
    );
    const sgd = new SGD({ lr: 0.1 });
    const [written] = await writeCheckpoint({ runDir, config, epoch: 1, step: 4, model, bank, sgd, metrics: {}, kinds: ['latest'] });
    tf.dispose([trainF, valF]);
    model.dispose();
    bank.dispose();
    sgd.dispose();
    await dataset.close();
    const ckpt = t.store.checkpoints.record('evalrun', written!, new Date().toISOString());

    const call = async (input: unknown): Promise<Evaluation> => {
      const r = await dispatchCall(t.core.handlers, 'evaluations.create', input);
      assert.ok(r.ok, JSON.stringify(r));
      return r.result as Evaluation;
    };
    const started = await call({ runId: 'evalrun' });
    assert.equal(started.status, 'running');
    assert.equal(started.checkpointId, ckpt.id);
    const done = await t.core.evaluations.whenDone(started.id);
    assert.equal(done.status, 'completed', done.error ?? '');
    assert.equal(done.k, 30);
    assert.equal(done.sigma, sigma);
    assert.equal(done.samples, 60);
    assert.equal(done.top1, expected.top1);
    assert.equal(done.top5, expected.top5);
    assert.equal(done.perClass!.reduce((a, c) => a + c.count, 0), 60);
    assert.equal(done.perClass!.reduce((a, c) => a + c.correct, 0), expected.top1Correct);
    assert.equal(done.confusion!.reduce((a, c) => a + c[2], 0), 60);
    assert.equal(done.confusion!.filter(([tr, pr]) => tr === pr).reduce((a, c) => a + c[2], 0), expected.top1Correct);
    assert.ok(t.events.some((e) => e.event === 'evaluation.changed' && e.payload.id === started.id && e.payload.status === 'completed'));

    const again = await call({ checkpointId: ckpt.id });
    assert.equal(again.id, started.id);
    assert.equal(again.reused, true);

    const recomputed = await t.core.evaluations.whenDone((await call({ runId: 'evalrun', recomputeMemory: true })).id);
    assert.notEqual(recomputed.id, started.id);
    assert.equal(recomputed.status, 'completed', recomputed.error ?? '');
    assert.equal(recomputed.top1, expected.top1, 'the bank held exactly the recomputed features');

    const listed = await dispatchCall(t.core.handlers, 'evaluations.list', { runId: 'evalrun' });
    assert.ok(listed.ok && (listed.result as Evaluation[]).length === 2);

    // Corrupt the file: a new evaluation (another K) is refused with the path and the mismatch.
    const bytes = readFileSync(written!.path);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(written!.path, bytes);
    const bad = await t.core.evaluations.whenDone((await call({ runId: 'evalrun', k: 5 })).id);
    assert.equal(bad.status, 'failed');
    assert.ok(bad.error!.includes(written!.path) && /sha256 mismatch/.test(bad.error!), bad.error!);

    const both = await dispatchCall(t.core.handlers, 'evaluations.create', { runId: 'evalrun', checkpointId: ckpt.id });
    assert.ok(!both.ok && both.error.code === 'invalid_input');
  } finally {
    await t.dispose();
  }
});
