/** flip(W)ᵀ for the conv input gradient: the wasm kernel equals tf.reverse + tf.transpose exactly. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { flipFilterTransposed } from '../../../../src-main/engine/kernels/flip-filter.ts';
import { seededValues, useBackend } from '../use-backend.ts';

const SHAPES: Array<[number, number, number, number]> = [[3, 3, 5, 7], [1, 1, 4, 6], [7, 7, 3, 64], [3, 3, 9, 8], [2, 3, 1, 1]];

describe('flipFilterTransposed', () => {
  it('equals tf.reverse over (kh, kw) then swapping in/out, bit for bit, on wasm and cpu', async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend(backend);
      for (const shape of SHAPES) {
        const w = tf.tensor4d(seededValues(shape.reduce((a, b) => a * b, 1), shape[2] * 31 + shape[3]), shape);
        const expected = tf.tidy(() => tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]));
        const before = tf.memory().numTensors;
        const got = flipFilterTransposed(w);
        assert.equal(tf.memory().numTensors, before + 1, 'only the result is new');
        assert.deepEqual(got.shape, [shape[0], shape[1], shape[3], shape[2]]);
        assert.deepEqual(await got.data(), await expected.data(), `${backend} [${shape.join(', ')}]`);
        tf.dispose([w, expected, got]);
      }
    }
  });
});

describe('flipFilterTransposed with a tap subset (one phase of a strided conv)', () => {
  it('equals the strided slice of the full flip on wasm and cpu, and refuses subsets outside the filter', async () => {
    const shape: [number, number, number, number] = [7, 5, 3, 4];
    const sub = { startH: 1, startW: 0, stepH: 2, stepW: 3, tapsH: 3, tapsW: 2 };
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend(backend);
      const w = tf.tensor4d(seededValues(7 * 5 * 3 * 4, 5), shape);
      const expected = tf.tidy(() => tf.stridedSlice(tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]), [1, 0, 0, 0], [6, 4, 4, 3], [2, 3, 1, 1]));
      const got = flipFilterTransposed(w, sub);
      assert.deepEqual(got.shape, [3, 2, 4, 3]);
      assert.deepEqual(await got.data(), await expected.data(), backend);
      assert.throws(() => flipFilterTransposed(w, { ...sub, tapsH: 4 }), /outside a 7×5 filter/);
      tf.dispose([w, expected, got]);
    }
  });
});
