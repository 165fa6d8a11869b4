import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { KnnInputError, knnAccuracy, knnClassify, knnNeighbours } from '../../../../src-main/engine/eval/knn.ts';
import { groupedTopK } from '../../../../src-main/engine/kernels/grouped-top-k.ts';
import { PUBLIC_VECTORS, seededValues, TEST_BACKENDS, useBackend } from '../use-backend.ts';

interface VectorCase {
  name: string; B: number; N: number; D: number; C: number; K: number; sigma: number;
  x: number[]; memory: number[]; labels: number[]; indexes: number[];
  expected: {
    knn: { query_labels: number[]; top1_correct_count: number; top5_correct_count: number; predictions: number[] };
    nn_top1_correct_count: number;
    nn_predictions: number[];
  };
}

for (const backend of TEST_BACKENDS) {
  test(`weighted kNN and NN are exact on the reference vectors (${backend})`, async () => {
    await useBackend(backend);
    const file = JSON.parse(readFileSync(PUBLIC_VECTORS, 'utf8')) as { cases: VectorCase[] };
    for (const c of file.cases) {
      const q = tf.tensor2d(c.x, [c.B, c.D]);
      const bank = tf.tensor2d(c.memory, [c.N, c.D]);
      try {
        // Small chunks as well as the defaults, so the streaming merge is exercised.
        for (const chunks of [{}, { queryChunk: 5, bankChunk: 16 }]) {
          const before = tf.memory().numTensors;
          const r = await knnClassify(q, bank, Int32Array.from(c.labels), { k: c.K, sigma: c.sigma, numClasses: c.C, ...chunks });
          assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
          assert.deepEqual([...r.predictions], c.expected.knn.predictions, `${c.name}: kNN predictions`);
          assert.deepEqual([...r.nnLabels], c.expected.nn_predictions, `${c.name}: NN predictions`);
          const acc = knnAccuracy(r, Int32Array.from(c.expected.knn.query_labels));
          assert.equal(acc.top1Correct, c.expected.knn.top1_correct_count, `${c.name}: top-1 count`);
          assert.equal(acc.top5Correct, c.expected.knn.top5_correct_count, `${c.name}: top-5 count`);
          assert.equal(acc.nnCorrect, c.expected.nn_top1_correct_count, `${c.name}: NN count`);
          assert.equal(r.topWidth, Math.min(5, c.C));
        }
      } finally {
        tf.dispose([q, bank]);
      }
    }
  });
}

/** Brute-force top-k indices in float64, similarity descending. */
function bruteTopK(q: Float32Array, bank: Float32Array, nq: number, nb: number, d: number, k: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < nq; i++) {
    const sims: [number, number][] = [];
    for (let j = 0; j < nb; j++) {
      let s = 0;
      for (let e = 0; e < d; e++) s += q[i * d + e]! * bank[j * d + e]!;
      sims.push([s, j]);
    }
    sims.sort((a, b) => b[0] - a[0]);
    out.push(sims.slice(0, k).map((p) => p[1]));
  }
  return out;
}

for (const backend of TEST_BACKENDS) {
  test(`streamed top-K (group prefilter, chunk merges) equals brute force (${backend})`, async () => {
    await useBackend(backend);
    const nq = 37;
    const nb = 1500;
    const d = 8;
    const k = 10;
    const qv = seededValues(nq * d, 11);
    const bv = seededValues(nb * d, 12);
    const q = tf.tensor2d(qv, [nq, d]);
    const bank = tf.tensor2d(bv, [nb, d]);
    const want = bruteTopK(qv, bv, nq, nb, d, k);
    try {
      // 704 = 44 groups of 16 ≥ 4k: full chunks take the prefilter, the 92-row tail does not.
      for (const chunks of [{ queryChunk: 16, bankChunk: 704 }, { queryChunk: 100, bankChunk: 100000 }, { bankChunk: 3 }]) {
        const top = knnNeighbours(q, bank, k, chunks);
        const idx = top.indices.arraySync() as number[][];
        const vals = top.values.arraySync() as number[][];
        tf.dispose([top.values, top.indices]);
        for (let i = 0; i < nq; i++) {
          assert.deepEqual(idx[i], want[i], `query ${i} with ${JSON.stringify(chunks)}`);
          for (let j = 1; j < k; j++) assert.ok(vals[i]![j - 1]! >= vals[i]![j]!, 'sorted by similarity');
        }
      }
    } finally {
      tf.dispose([q, bank]);
    }
  });
}

for (const backend of TEST_BACKENDS) {
  test(`the grouped top-K returns exactly what tf.topk returns (${backend})`, async () => {
    await useBackend(backend);
    const rows = 9;
    const cols = 16 * 50;
    const sims = tf.tensor2d(seededValues(rows * cols, 5), [rows, cols]);
    try {
      const before = tf.memory().numTensors;
      const fast = groupedTopK(sims, 12);
      const plain = tf.topk(sims, 12);
      assert.deepEqual(fast.indices.arraySync(), plain.indices.arraySync());
      assert.deepEqual(fast.values.arraySync(), plain.values.arraySync());
      tf.dispose([fast.values, fast.indices, plain.values, plain.indices]);
      assert.equal(tf.memory().numTensors, before);
    } finally {
      sims.dispose();
    }
  });
}

test('votes: weights exp(sim/σ), K clamped to the bank, fewer than 5 classes, unvoted classes last', async () => {
  await useBackend('cpu');
  // Bank rows along the first axis with similarities 0.9, 0.8, 0.7, 0.1 to the query.
  const bank = tf.tensor2d([[0.9, 0], [0.8, 0], [0.7, 0], [0.1, 0]]);
  const q = tf.tensor2d([[1, 0]]);
  try {
    // σ = 0.1: class 0 (e^9 ≈ 8103) beats class 1 (e^8 + e^7 ≈ 4077); class 3 got no vote.
    let r = await knnClassify(q, bank, Int32Array.from([0, 1, 1, 2]), { k: 3, sigma: 0.1, numClasses: 4 });
    assert.deepEqual([...r.top5], [0, 1, 2, 3]);
    assert.equal(r.topWidth, 4);
    assert.equal(r.nnLabels[0], 0);
    assert.equal(r.nnIndexes[0], 0);
    // σ = 1: e^0.9 ≈ 2.46 < e^0.8 + e^0.7 ≈ 4.24, so class 1 wins; the NN is still class 0.
    r = await knnClassify(q, bank, Int32Array.from([0, 1, 1, 2]), { k: 3, sigma: 1, numClasses: 4 });
    assert.deepEqual([...r.top5], [1, 0, 2, 3]);
    assert.equal(r.nnLabels[0], 0);
    // K larger than the bank uses every row.
    r = await knnClassify(q, bank, Int32Array.from([0, 1, 1, 2]), { k: 50, sigma: 1, numClasses: 7 });
    assert.equal(r.k, 4);
    assert.deepEqual([...r.top5], [1, 0, 2, 3, 4]);
    const acc = knnAccuracy(r, Int32Array.from([0]));
    assert.deepEqual(acc, { top1: 0, top5: 1, nnTop1: 1, top1Correct: 0, top5Correct: 1, nnCorrect: 1, count: 1 });
    await assert.rejects(() => knnClassify(q, bank, Int32Array.from([0, 1, 9, 2]), { k: 3, sigma: 1, numClasses: 4 }), (e: unknown) => e instanceof KnnInputError && /bank label 9 of row 2 is outside \[0, 4\)/.test(e.message));
    await assert.rejects(() => knnClassify(q, bank, Int32Array.from([0, 1]), { k: 3, sigma: 1, numClasses: 4 }), /2 bank labels for 4 bank rows/);
  } finally {
    tf.dispose([q, bank]);
  }
});
