/** channelMean (BatchNorm statistics, conv bias gradients) equals tf.mean over N, H, W. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { channelMean } from '../../../../src-main/engine/models/layers/channel-mean.ts';
import { seededValues, useBackend } from '../use-backend.ts';

describe('channelMean', () => {
  it('equals tf.mean over axes 0..2 within 2e-6 relative, 1×1 maps and offset data included', async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend(backend);
      for (const shape of [[4, 8, 8, 6], [3, 1, 1, 5], [2, 7, 5, 3], [16, 4, 4, 32]] as Array<[number, number, number, number]>) {
        const x = tf.tidy(() => tf.add<tf.Tensor4D>(tf.tensor4d(seededValues(shape.reduce((a, b) => a * b, 1), shape[3]), shape), 3));
        const before = tf.memory().numTensors;
        const got = channelMean(x);
        assert.equal(tf.memory().numTensors, before + 1, 'only the result is new');
        const want = tf.mean(x, [0, 1, 2]);
        const [g, w] = [await got.data(), await want.data()];
        assert.equal(g.length, shape[3]);
        for (let i = 0; i < g.length; i++) assert.ok(Math.abs(g[i]! - w[i]!) <= 2e-6 * Math.abs(w[i]!), `${backend} [${shape.join(', ')}] channel ${i}: ${g[i]} vs ${w[i]}`);
        tf.dispose([x, got, want]);
      }
    }
  });
});
