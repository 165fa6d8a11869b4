/**
 * The conv input gradient as forward convolutions (one per output phase for strided convs)
 * equals tfjs's own Conv2DBackpropInput kernel on the cpu backend, for the geometries the
 * ResNets use and awkward ones (odd sizes, stride 3, kernels smaller than the stride).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { conv2dInputGradient } from '../../../../src-main/engine/models/conv-input-gradient.ts';
import { seededValues, useBackend } from '../use-backend.ts';

interface Case {
  readonly x: [number, number, number, number];
  readonly k: [number, number];
  readonly cout: number;
  readonly s: number | [number, number];
  readonly p: number;
}

const CASES: Case[] = [
  { x: [2, 8, 8, 3], k: [3, 3], cout: 4, s: 1, p: 1 }, // BasicBlock conv
  { x: [2, 8, 8, 3], k: [3, 3], cout: 4, s: 2, p: 1 }, // first conv of layer2..4
  { x: [2, 8, 8, 3], k: [1, 1], cout: 5, s: 2, p: 0 }, // projection shortcut
  { x: [2, 9, 7, 3], k: [3, 3], cout: 4, s: 2, p: 1 }, // odd sizes: a row/column never reached
  { x: [1, 16, 16, 3], k: [7, 7], cout: 4, s: 2, p: 3 }, // ImageNet stem geometry
  { x: [2, 10, 11, 2], k: [3, 2], cout: 3, s: [3, 2], p: 1 }, // stride 3, uneven kernel
  { x: [1, 7, 7, 2], k: [1, 1], cout: 2, s: 3, p: 0 },
  { x: [2, 6, 6, 4], k: [3, 3], cout: 2, s: 1, p: 0 }, // valid conv
];

describe('conv2dInputGradient', () => {
  it('equals Conv2DBackpropInput (cpu reference) within 1e-5 on cpu and wasm, and leaks nothing', async () => {
    for (const c of CASES) {
      const [kh, kw] = c.k;
      const strides: [number, number] = typeof c.s === 'number' ? [c.s, c.s] : c.s;
      await useBackend('cpu');
      const filterValues = seededValues(kh * kw * c.x[3] * c.cout, 11);
      const probe = tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros([kh, kw, c.x[3], c.cout]) as tf.Tensor4D, strides, c.p);
      const dyShape = probe.shape;
      const dyValues = seededValues(dyShape.reduce((a, b) => a * b, 1), 12);
      const reference = tf.tidy(() => tf.engine().runKernel(tf.Conv2DBackpropInput, {
        dy: tf.tensor4d(dyValues, dyShape),
        filter: tf.tensor4d(filterValues, [kh, kw, c.x[3], c.cout]),
      }, { strides, pad: c.p, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: c.x } as unknown as tf.NamedAttrMap) as tf.Tensor4D);
      const want = await reference.data();
      tf.dispose([probe, reference]);
      for (const backend of ['cpu', 'wasm'] as const) {
        await useBackend(backend);
        const dy = tf.tensor4d(dyValues, dyShape);
        const filter = tf.tensor4d(filterValues, [kh, kw, c.x[3], c.cout]);
        const before = tf.memory().numTensors;
        const got = conv2dInputGradient(dy, filter, c.x, c.s, c.p);
        assert.equal(tf.memory().numTensors, before + 1, 'only the result is new');
        assert.deepEqual(got.shape, c.x);
        const g = await got.data();
        let worst = 0;
        for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(g[i]! - want[i]!));
        assert.ok(worst < 1e-5, `${backend} ${JSON.stringify(c)}: max abs error ${worst}`);
        tf.dispose([dy, filter, got]);
      }
    }
  });
});
