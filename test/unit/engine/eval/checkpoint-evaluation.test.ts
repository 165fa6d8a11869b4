/** A checkpoint evaluation writes its per-sample results: labels and top-K neighbours that agree with the accuracies. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { evaluateCheckpoint } from '../../../../src-main/engine/eval/checkpoint-evaluation.ts';
import { readPerSampleFile } from '../../../../src-main/engine/eval/per-sample-file.ts';
import { createModel } from '../../../../src-main/engine/models/model.ts';
import { MemoryBank } from '../../../../src-main/engine/nca/memory-bank.ts';
import { SGD } from '../../../../src-main/engine/optim/sgd.ts';
import { writeCheckpoint } from '../../../../src-main/engine/train/checkpoint-writer.ts';
import { demoConfig } from '../../../fixtures/run-records.ts';
import { makeTempDir } from '../../../fixtures/temp-home.ts';
import { useBackend } from '../use-backend.ts';

test('evaluateCheckpoint with samplesPath writes one record per val image, consistent with top-1 and 1-NN', { timeout: 60_000 }, async () => {
  await useBackend('cpu');
  const tmp = makeTempDir();
  try {
    const dataset = { kind: 'mnist' as const, trainSize: 30, valSize: 12 };
    const config = demoConfig({ lowDim: 8, dataset });
    const model = createModel(config.arch, { lowDim: 8, seed: 0 });
    const bank = MemoryBank.initUniform(30, 8, new Int32Array(30), 0);
    const sgd = new SGD({ lr: 0.1 });
    const [w] = await writeCheckpoint({ runDir: tmp.dir, config, epoch: 1, step: 1, model, bank, sgd, metrics: {}, kinds: ['best'] });
    model.dispose();
    bank.dispose();
    sgd.dispose();
    const samplesPath = join(tmp.dir, 'evaluations', '1.psr');
    const result = await evaluateCheckpoint({ checkpointPath: w!.path, expectedSha256: w!.sha256, dataset, k: 5, sigma: 0.1, recomputeMemory: true, samplesPath });
    assert.notEqual(result, 'cancelled');
    if (result === 'cancelled') return;
    const s = readPerSampleFile(samplesPath);
    assert.equal(s.trueLabels.length, 12);
    assert.equal(s.k, 5);
    assert.equal(s.trainCount, 30);
    assert.equal(s.classes, 10);
    let right = 0;
    for (let i = 0; i < 12; i++) if (s.trueLabels[i] === s.predicted[i]) right++;
    assert.equal(right / 12, result.top1);
    for (let i = 0; i < 12; i++) {
      const sims = s.neighbourSimilarities.subarray(i * 5, i * 5 + 5);
      for (let j = 1; j < 5; j++) assert.ok(sims[j - 1]! >= sims[j]!, 'neighbours most similar first');
    }
    assert.equal(s.neighbourLabels.length, 60);
    const perClassTotal = result.perClass.reduce((a, c) => a + c.count, 0);
    assert.equal(perClassTotal, 12);
  } finally {
    tmp.cleanup();
  }
});
