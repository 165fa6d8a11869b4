/**
 * Recomputed memory embeds every train image through the VAL transform, in split order, as the
 * reference's test.py (recompute_memory) does by swapping the test transform onto the train set:
 * never through the training augmentations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { openDataset } from '../../../../src-main/engine/data/open-dataset.ts';
import type { BatchLoader } from '../../../../src-main/engine/data/dataset.ts';
import { decodeImageFile } from '../../../../src-main/engine/data/image-decode.ts';
import { CIFAR_MEAN, CIFAR_STD } from '../../../../src-main/engine/data/recipes.ts';
import { Rng } from '../../../../src-main/engine/data/rng.ts';
import { applyTransforms, centerCrop, normalize, randomHorizontalFlip, randomResizedCrop, resize } from '../../../../src-main/engine/data/transforms.ts';
import { evaluateCheckpoint } from '../../../../src-main/engine/eval/checkpoint-evaluation.ts';
import { readPerSampleFile } from '../../../../src-main/engine/eval/per-sample-file.ts';
import { knnClassify } from '../../../../src-main/engine/eval/knn.ts';
import { createModel } from '../../../../src-main/engine/models/model.ts';
import { MemoryBank } from '../../../../src-main/engine/nca/memory-bank.ts';
import { SGD } from '../../../../src-main/engine/optim/sgd.ts';
import { writeCheckpoint } from '../../../../src-main/engine/train/checkpoint-writer.ts';
import { embedSplit, evaluateKnn, recomputeMemoryBank } from '../../../../src-main/engine/train/knn-evaluation.ts';
import { writeImageFolderTree } from '../../../fixtures/image-folder-tree.ts';
import { demoConfig } from '../../../fixtures/run-records.ts';
import { makeTempDir } from '../../../fixtures/temp-home.ts';
import { fakeCifar, writeCifar } from '../data/cifar-fixtures.ts';
import { useBackend } from '../use-backend.ts';

const quiet = { workers: 0, log: () => undefined };

/** Every batch of one pass in split order, concatenated (images) with the row indexes. */
async function allImages(loader: BatchLoader): Promise<{ images: Float32Array; indexes: number[] }> {
  const parts: Float32Array[] = [];
  const indexes: number[] = [];
  for await (const b of loader.epoch({ epoch: 0, batchSize: 7, shuffle: false, dropLast: false, seed: 0 })) {
    parts.push(b.images);
    indexes.push(...b.indexes);
  }
  const images = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    images.set(p, o);
    o += p.length;
  }
  return { images, indexes };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** The CIFAR val transform (Normalize only) applied by hand to the fixture's planar train pixels: NHWC. */
function cifarTrainAsVal(planar: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count * 3072);
  for (let i = 0; i < count; i++) {
    for (let p = 0; p < 1024; p++) {
      for (let c = 0; c < 3; c++) out[i * 3072 + p * 3 + c] = (planar[i * 3072 + c * 1024 + p]! / 255 - CIFAR_MEAN[c]!) / CIFAR_STD[c]!;
    }
  }
  return out;
}

test('CIFAR: the recomputed bank is the train images under the val transform, in order, not the augmented ones', { timeout: 60_000 }, async () => {
  await useBackend('cpu');
  const tmp = makeTempDir();
  const data = fakeCifar('cifar10', 4, 6);
  writeCifar(tmp.dir, 'cifar10', 'binary', data);
  const ds = await openDataset({ kind: 'cifar10', root: tmp.dir }, quiet);
  const model = createModel('small-convnet', { lowDim: 8, inputShape: [32, 32, 3], seed: 3 });
  try {
    assert.equal(ds.trainEval, ds.trainEval, 'created once');
    assert.equal(ds.trainEval.split.size, 20);
    assert.deepEqual([...ds.trainEval.split.labels], [...ds.train.split.labels]);
    const seen = await allImages(ds.trainEval);
    assert.deepEqual(seen.indexes, Array.from({ length: 20 }, (_, i) => i));
    const expected = cifarTrainAsVal(data.train.planar, 20);
    assert.ok(maxAbsDiff(seen.images, expected) < 1e-6, 'train-as-val pixels are the normalised train pixels');

    const bank = await recomputeMemoryBank(model, ds, 8, () => false);
    const augmented = await embedSplit(model, ds.train, 8, () => false);
    assert.ok(bank !== 'cancelled' && augmented !== 'cancelled');
    const want = tf.tidy(() => model.apply(tf.tensor4d(expected, [20, 32, 32, 3]), false));
    try {
      const got = bank.dataSync();
      assert.deepEqual(bank.shape, [20, 8]);
      assert.ok(maxAbsDiff(got, want.dataSync()) < 1e-4, 'bank row i = embedding of train image i under the val transform');
      assert.ok(maxAbsDiff(got, augmented.dataSync()) > 1e-2, 'the augmented pass embeds other pixels');
    } finally {
      want.dispose();
      bank.dispose();
      augmented.dispose();
    }

    // evaluateKnn with recomputed memory: the same metrics twice (the bank argument is not used).
    const memory = MemoryBank.initUniform(20, 8, ds.train.split.labels, 0);
    try {
      const run = () => evaluateKnn({ model, bank: memory, dataset: ds, k: 5, sigma: 0.1, recomputeMemory: true, batchSize: 8, cancelRequested: () => false });
      const a = await run();
      const b = await run();
      assert.ok(a !== 'cancelled' && b !== 'cancelled');
      assert.deepEqual({ ...a, seconds: 0 }, { ...b, seconds: 0 });
    } finally {
      memory.dispose();
    }
  } finally {
    model.dispose();
    await ds.close();
    tmp.cleanup();
  }
});

test('evaluateCheckpoint with recomputed memory ranks val images against the val-transform train features, the same twice', { timeout: 60_000 }, async () => {
  await useBackend('cpu');
  const tmp = makeTempDir();
  const data = fakeCifar('cifar10', 4, 6);
  writeCifar(join(tmp.dir, 'data'), 'cifar10', 'binary', data);
  const dataset = { kind: 'cifar10' as const, root: join(tmp.dir, 'data') };
  try {
    const config = demoConfig({ arch: 'small-convnet', lowDim: 8, dataset });
    const model = createModel('small-convnet', { lowDim: 8, inputShape: [32, 32, 3], seed: 5 });
    const memory = MemoryBank.initUniform(20, 8, new Int32Array(20), 0);
    const sgd = new SGD({ lr: 0.1 });
    const [w] = await writeCheckpoint({ runDir: tmp.dir, config, epoch: 1, step: 1, model, bank: memory, sgd, metrics: {}, kinds: ['best'] });
    memory.dispose();
    sgd.dispose();
    // The expected neighbours: val queries against train features computed by hand (Normalize only).
    const ds = await openDataset(dataset, quiet);
    const queries = await embedSplit(model, ds.val, 8, () => false);
    assert.ok(queries !== 'cancelled');
    const bank = tf.tidy(() => model.apply(tf.tensor4d(cifarTrainAsVal(data.train.planar, 20), [20, 32, 32, 3]), false));
    const expected = await knnClassify(queries, bank, ds.train.split.labels, { k: 5, sigma: 0.1, numClasses: 10 });
    queries.dispose();
    bank.dispose();
    model.dispose();
    await ds.close();

    const evaluate = async (n: number) => {
      const samplesPath = join(tmp.dir, `${n}.psr`);
      const r = await evaluateCheckpoint({ checkpointPath: w!.path, expectedSha256: w!.sha256, dataset, k: 5, sigma: 0.1, recomputeMemory: true, batchSize: 8, samplesPath });
      assert.ok(r !== 'cancelled');
      return { result: { ...r, wallSeconds: 0 }, samples: readPerSampleFile(samplesPath) };
    };
    const first = await evaluate(1);
    const second = await evaluate(2);
    assert.deepEqual(first.result, second.result);
    assert.deepEqual([...first.samples.neighbourIndexes], [...second.samples.neighbourIndexes]);
    assert.deepEqual([...first.samples.neighbourIndexes], [...expected.neighbourRows]);
    assert.deepEqual([...first.samples.predicted], [...expected.predictions]);
    assert.ok(maxAbsDiff(first.samples.neighbourSimilarities, expected.neighbourSims) < 1e-4);
  } finally {
    tmp.cleanup();
  }
});

test('ImageFolder: the train-as-val loader yields the val transform of every train file in order; the train loader augments', { timeout: 60_000 }, async () => {
  const tmp = makeTempDir();
  try {
    const tree = await writeImageFolderTree(tmp.dir, ['ant', 'bee'], { train: 4, val: 1 }, 24);
    const valT = [resize(20), centerCrop(16), normalize([0.5, 0.5, 0.5], [0.25, 0.25, 0.25])];
    const trainT = [randomResizedCrop(16), randomHorizontalFlip(), normalize([0.5, 0.5, 0.5], [0.25, 0.25, 0.25])];
    const ds = await openDataset({ kind: 'imagefolder', root: tree.root }, { ...quiet, cacheDir: null, transforms: { train: trainT, val: valT } });
    try {
      assert.deepEqual([...ds.trainEval.split.labels], [...ds.train.split.labels]);
      assert.deepEqual(ds.trainEval.split.imageShape, [16, 16, 3]);
      const seen = await allImages(ds.trainEval);
      assert.deepEqual(seen.indexes, [0, 1, 2, 3, 4, 5, 6, 7]);
      const expected = new Float32Array(8 * 16 * 16 * 3);
      for (const [i, path] of tree.trainImages.entries()) {
        const img = applyTransforms(await decodeImageFile(path), valT, Rng.fromSeed(0));
        expected.set(img.data, i * img.data.length);
      }
      assert.ok(maxAbsDiff(seen.images, expected) < 1e-6);
      const again = await allImages(ds.trainEval);
      assert.deepEqual(again.images, seen.images, 'deterministic');
      const augmented = await allImages(ds.train);
      assert.ok(maxAbsDiff(augmented.images, expected) > 1e-2, 'the train loader crops and flips');
    } finally {
      await ds.close();
    }
  } finally {
    tmp.cleanup();
  }
});
