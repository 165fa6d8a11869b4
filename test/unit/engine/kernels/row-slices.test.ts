import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { sliceRows, sliceRowsTransposed, transposeRows } from '../../../../src-main/engine/kernels/row-slices.ts';
import { seededValues, TEST_BACKENDS, useBackend } from '../use-backend.ts';

const ROWS = 37;
const COLS = 5;

function expectedBlock(values: Float32Array, start: number, count: number, transposed: boolean): Float32Array {
  const out = new Float32Array(count * COLS);
  for (let j = 0; j < count; j++) {
    for (let d = 0; d < COLS; d++) {
      out[transposed ? d * count + j : j * COLS + d] = values[(start + j) * COLS + d]!;
    }
  }
  return out;
}

for (const backend of TEST_BACKENDS) {
  test(`row blocks, plain and transposed, are exact on ${backend} (counts not a multiple of 8)`, async () => {
    await useBackend(backend);
    const values = seededValues(ROWS * COLS, 3);
    const x = tf.tensor2d(values, [ROWS, COLS]);
    try {
      for (const [start, count] of [[0, ROWS], [0, 8], [3, 17], [29, 8], [36, 1], [5, 23]] as const) {
        const before = tf.memory().numTensors;
        const plain = sliceRows(x, start, count);
        const trans = sliceRowsTransposed(x, start, count);
        assert.deepEqual(plain.shape, [count, COLS]);
        assert.deepEqual(trans.shape, [COLS, count]);
        assert.deepEqual(plain.dataSync(), expectedBlock(values, start, count, false), `plain ${start}+${count}`);
        assert.deepEqual(trans.dataSync(), expectedBlock(values, start, count, true), `transposed ${start}+${count}`);
        tf.dispose([plain, trans]);
        assert.equal(tf.memory().numTensors, before);
      }
      // The source is untouched.
      assert.deepEqual(x.dataSync(), values);
    } finally {
      x.dispose();
    }
  });
}

test('blocks outside the matrix are refused', async () => {
  await useBackend('wasm');
  const x = tf.zeros([4, 2]) as tf.Tensor2D;
  try {
    assert.throws(() => sliceRows(x, 3, 2), /row block \[3, 5\) is outside a matrix of 4 rows/);
    assert.throws(() => sliceRowsTransposed(x, -1, 2), RangeError);
    assert.throws(() => sliceRows(x, 0, 0), RangeError);
  } finally {
    x.dispose();
  }
});

test('transposeRows handles every tail length', () => {
  for (let count = 1; count <= 17; count++) {
    const src = seededValues((count + 2) * 3, count);
    const dst = new Float32Array(count * 3);
    transposeRows(src, 2, count, 3, dst);
    for (let j = 0; j < count; j++) for (let d = 0; d < 3; d++) assert.equal(dst[d * count + j], src[(2 + j) * 3 + d]);
  }
});
