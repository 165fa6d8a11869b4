/** The wasm MaxPoolGrad kernel equals tfjs's cpu MaxPoolGrad, and routes ties to the first maximum (as PyTorch does). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { maxPoolGrad, maxPoolGradInto } from '../../../../src-main/engine/kernels/max-pool-grad.ts';
import { seededValues, useBackend } from '../use-backend.ts';

const CASES = [
  { x: [2, 12, 12, 5], kernel: 3, stride: 2, pad: 1 }, // the ImageNet stem's pool
  { x: [1, 9, 7, 3], kernel: 3, stride: 2, pad: 1 }, // odd sizes
  { x: [2, 8, 8, 4], kernel: 2, stride: 2, pad: 0 },
  { x: [1, 10, 10, 2], kernel: 3, stride: 1, pad: 1 },
  // Non-overlapping windows that leave the last row/column out (dx there must be 0), and
  // the generic (not unrolled) non-overlapping path.
  { x: [2, 9, 7, 3], kernel: 2, stride: 2, pad: 0 },
  { x: [1, 9, 9, 2], kernel: 3, stride: 3, pad: 0 },
] as const;

describe('wasm MaxPoolGrad', () => {
  it('equals the cpu backend\'s MaxPoolGrad on tie-free inputs (within 1e-6) and leaks nothing', async () => {
    for (const [i, c] of CASES.entries()) {
      const shape = [...c.x] as [number, number, number, number];
      const xv = seededValues(shape.reduce((a, b) => a * b, 1), 40 + i);
      await useBackend('cpu');
      const want = tf.tidy(() => {
        const x = tf.tensor4d(xv, shape);
        const y = tf.maxPool(x, c.kernel, c.stride, c.pad);
        const dy = tf.tensor4d(seededValues(y.size, 60 + i), y.shape);
        return tf.engine().runKernel(tf.MaxPoolGrad, { dy, input: x, output: y }, { filterSize: c.kernel, strides: c.stride, pad: c.pad } as unknown as tf.NamedAttrMap) as tf.Tensor;
      });
      const w = await want.data();
      want.dispose();
      await useBackend('wasm');
      const x = tf.tensor4d(xv, shape);
      const y = tf.maxPool(x, c.kernel, c.stride, c.pad);
      const dy = tf.tensor4d(seededValues(y.size, 60 + i), y.shape);
      const before = tf.memory().numTensors;
      const got = maxPoolGrad(dy, x, c);
      assert.equal(tf.memory().numTensors, before + 1);
      const g = await got.data();
      for (let k = 0; k < g.length; k++) assert.ok(Math.abs(g[k]! - w[k]!) <= 1e-6, `${JSON.stringify(c)} at ${k}: ${g[k]} vs ${w[k]}`);
      // Given the forward output too (the 2×2 case then takes its branch-free path).
      const withY = maxPoolGrad(dy, x, c, y);
      const gy = await withY.data();
      for (let k = 0; k < gy.length; k++) assert.ok(Math.abs(gy[k]! - w[k]!) <= 1e-6, `${JSON.stringify(c)} with y at ${k}: ${gy[k]} vs ${w[k]}`);
      tf.dispose([x, y, dy, got, withY]);
    }
  });

  it('gives a tied window\'s gradient to its first maximum in row-major order, never to padding', () => {
    // One channel, 3×3 input of zeros (as after a ReLU), pool 3×3 stride 2 pad 1 → 2×2 output.
    const x = new Float32Array(9);
    const dy = Float32Array.from([1, 2, 3, 4]);
    const dx = new Float32Array(9);
    maxPoolGradInto(x, [1, 3, 3, 1], dy, [1, 2, 2, 1], { kernel: 3, stride: 2, pad: 1 }, dx);
    // Windows start at input (−1,−1), (−1,1), (1,−1), (1,1): first in-image cells (0,0), (0,1), (1,0), (1,1).
    assert.deepEqual(Array.from(dx), [1, 2, 0, 3, 4, 0, 0, 0, 0]);
  });

  it('2×2 pool from its output: ties go to the first maximum, every position is written', () => {
    // One channel, 2×4 input → two windows: [0 0 / 0 0] (all tied) and [1 5 / 5 2] (tie of 5s).
    const x = Float32Array.from([0, 0, 1, 5, 0, 0, 5, 2]);
    const y = Float32Array.from([0, 5]);
    const dy = Float32Array.from([3, 7]);
    const want = [3, 0, 0, 7, 0, 0, 0, 0];
    for (const withY of [true, false]) {
      const dx = new Float32Array(8).fill(NaN); // stale memory: must be overwritten everywhere
      maxPoolGradInto(x, [1, 2, 4, 1], dy, [1, 1, 2, 1], { kernel: 2, stride: 2, pad: 0 }, dx, withY ? y : undefined);
      assert.deepEqual(Array.from(dx), want, withY ? 'from the output' : 'running maximum');
    }
  });
});
