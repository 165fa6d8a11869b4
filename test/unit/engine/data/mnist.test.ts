import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openMnist, stratifiedQuotas } from '../../../../src-main/engine/data/mnist.ts';
import type { Batch } from '../../../../src-main/engine/data/dataset.ts';

test('stratified quotas add up exactly and follow class sizes', () => {
  const sizes = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
  const q = stratifiedQuotas(sizes, 8000);
  assert.equal(q.reduce((a, b) => a + b, 0), 8000);
  q.forEach((n, i) => assert.ok(Math.abs(n - (sizes[i]! * 8000) / 10000) < 1, `class ${i}: ${n}`));
});

test('the demo split is 8,000 / 2,000, stratified, disjoint and deterministic', async () => {
  const a = await openMnist({ trainSize: 8000, valSize: 2000 });
  const b = await openMnist({ trainSize: 8000, valSize: 2000 });
  assert.equal(a.train.split.size, 8000);
  assert.equal(a.val.split.size, 2000);
  assert.deepEqual(a.train.split.imageShape, [28, 28, 1]);
  const counts = new Array(10).fill(0);
  for (const l of a.val.split.labels) counts[l]++;
  for (const c of counts) assert.ok(c >= 170 && c <= 230, `val class count ${c}`);

  const collect = async (batches: AsyncIterable<Batch>) => {
    const rows: string[] = [];
    for await (const batch of batches) {
      const size = 28 * 28;
      for (let k = 0; k < batch.labels.length; k++) {
        // Fingerprint each image by a few pixel sums so train/val overlap would show.
        const img = batch.images.subarray(k * size, (k + 1) * size);
        let s = 0;
        for (let p = 0; p < size; p++) s += img[p]! * (p + 1);
        rows.push(s.toFixed(3));
      }
    }
    return rows;
  };
  const opts = { epoch: 0, batchSize: 500, shuffle: false, dropLast: false, seed: 0 };
  const trainA = await collect(a.train.epoch(opts));
  const trainB = await collect(b.train.epoch(opts));
  assert.deepEqual(trainA, trainB, 'same split on every open');
  const valA = new Set(await collect(a.val.epoch(opts)));
  const overlap = trainA.filter((r) => valA.has(r)).length;
  // MNIST has a few duplicated digits; the split itself must not reuse samples.
  assert.ok(overlap <= 2, `train and val share ${overlap} images`);
});

test('epoch order is a seeded permutation: every sample once, reproducible, different per epoch', async () => {
  const d = await openMnist({ trainSize: 500, valSize: 100 });
  const order = async (epoch: number, seed: number) => {
    const idx: number[] = [];
    for await (const b of d.train.epoch({ epoch, batchSize: 64, shuffle: true, dropLast: false, seed })) {
      idx.push(...b.indexes);
      b.labels.forEach((l, k) => assert.equal(l, d.train.split.labels[b.indexes[k]!]));
    }
    return idx;
  };
  const e0 = await order(0, 7);
  assert.deepEqual([...e0].sort((x, y) => x - y), Array.from({ length: 500 }, (_, i) => i));
  assert.deepEqual(await order(0, 7), e0);
  assert.notDeepEqual(await order(1, 7), e0);
  assert.notDeepEqual(await order(0, 8), e0);
  assert.equal(d.train.batchesPerEpoch({ batchSize: 64, dropLast: false }), 8);
  assert.equal(d.train.batchesPerEpoch({ batchSize: 64, dropLast: true }), 7);
});

test('asking for more digits than shipped is refused with the numbers', async () => {
  await assert.rejects(openMnist({ trainSize: 9000, valSize: 2000 }), /11000 exceeds the 10000/);
});
