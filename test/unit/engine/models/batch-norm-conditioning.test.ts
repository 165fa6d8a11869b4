/**
 * Why backend comparisons of whole networks need at least 8 values per channel at every
 * train-mode BatchNorm (cpu backend, no GPU needed).
 *
 * Train-mode BatchNorm divides by the batch's own spread, sqrt(var + eps) with eps = 1e-5.
 * When a channel's values lie within about sqrt(eps) ≈ 3e-3 of each other, its output and
 * input gradient change by hundreds of times any change of its input. With 2 values per
 * channel (batch 2 on a 1×1 map: a ResNet's layer4 at the smallest input it takes) such a close
 * pair is common among hundreds of channels; with 8 values all of them would have to be that
 * close. Float32 rounding differs between correct backends (summation order), so at 2 values
 * per channel two correct backends disagree: cpu against wasm on cifar-resnet18 at 8×8 and
 * batch 2 differ by 2.5e-4 in the embedding and by 2.0 in a conv weight's gradient, while at
 * 16×16 (8 values per channel in layer4) they agree within 1.3e-6 and 1.9e-5.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '../../../../src-main/engine/models/model.ts'; // registers the models' gradients
import { BatchNorm2d } from '../../../../src-main/engine/models/layers/batch-norm.ts';
import { ParameterStore } from '../../../../src-main/engine/models/parameter-store.ts';
import { useBackend } from './backend.ts';
import { distinctValues } from './gradient-check.ts';

const CHANNELS = 16;
/** About the float32 rounding of an activation of size 1 after a few layers. */
const NUDGE = 1e-6;

type Shape = [number, number, number, number];

/** Train-mode output and input gradient (of Σ y·r, r fixed) of a fresh BatchNorm (weight 1, bias 0). */
function forwardBackward(values: Float32Array, shape: Shape): { y: Float32Array; dx: Float32Array } {
  const store = new ParameterStore('bn-conditioning');
  try {
    const bn = new BatchNorm2d(store, 'bn', CHANNELS);
    return tf.tidy(() => {
      const x = tf.tensor4d(values, shape);
      const r = tf.tensor4d(distinctValues(values.length, 3), shape);
      const y = bn.applyTrain(x, { relu: false });
      const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(bn.applyTrain(t as tf.Tensor4D, { relu: false }), r)))(x);
      return { y: y.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array };
    });
  } finally {
    store.dispose();
  }
}

/** How much the output and the input gradient move when every input moves by ±NUDGE. */
function sensitivity(values: Float32Array, shape: Shape): { outputGain: number; gradientShift: number } {
  const nudged = values.map((v, i) => v + (i % 3 === 0 ? NUDGE : -NUDGE));
  const a = forwardBackward(values, shape);
  const b = forwardBackward(nudged, shape);
  let dy = 0;
  let ddx = 0;
  for (let i = 0; i < a.y.length; i++) {
    dy = Math.max(dy, Math.abs(a.y[i]! - b.y[i]!));
    ddx = Math.max(ddx, Math.abs(a.dx[i]! - b.dx[i]!));
  }
  return { outputGain: dy / NUDGE, gradientShift: ddx };
}

describe('train-mode BatchNorm: conditioning by values per channel', () => {
  before(async () => {
    await useBackend('cpu');
  });

  it('2 values per channel, one pair 2e-3 apart: a 1e-6 change of the input moves the output 100× as much and the gradient by > 1e-3', () => {
    const values = distinctValues(2 * CHANNELS, 9);
    values[CHANNELS] = values[0]! + 2e-3; // channel 0: the two images' values nearly equal
    const { outputGain, gradientShift } = sensitivity(values, [2, 1, 1, CHANNELS]);
    assert.ok(outputGain > 100, `output gain ${outputGain}`);
    assert.ok(gradientShift > 1e-3, `gradient shift ${gradientShift}`);
  });

  it('8 values per channel: the same change moves the output < 10× as much and the gradient by < 1e-4', () => {
    const { outputGain, gradientShift } = sensitivity(distinctValues(8 * CHANNELS, 9), [2, 2, 2, CHANNELS]);
    assert.ok(outputGain < 10, `output gain ${outputGain}`);
    assert.ok(gradientShift < 1e-4, `gradient shift ${gradientShift}`);
  });
});
