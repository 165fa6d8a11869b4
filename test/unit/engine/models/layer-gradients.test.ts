/**
 * Finite-difference checks of every layer type's gradient (cpu backend, tiny shapes):
 * conv with stride and padding (plain, and bias+ReLU), train-mode BatchNorm (plain and with
 * residual + ReLU, w.r.t. input, weight, bias and residual), linear, max-pool 3×3/2 pad 1,
 * global average pool and L2 normalisation. Also the eval-mode BatchNorm folding.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '../../../../src-main/engine/models/model.ts'; // registers the models' gradients
import { BatchNorm2d } from '../../../../src-main/engine/models/layers/batch-norm.ts';
import { Conv2d } from '../../../../src-main/engine/models/layers/conv2d.ts';
import { l2Normalize } from '../../../../src-main/engine/models/layers/l2-normalize.ts';
import { Linear } from '../../../../src-main/engine/models/layers/linear.ts';
import { globalAvgPool, maxPool2d } from '../../../../src-main/engine/models/layers/pooling.ts';
import { ParameterStore } from '../../../../src-main/engine/models/parameter-store.ts';
import { useBackend } from './backend.ts';
import { checkGradients, distinctValues } from './gradient-check.ts';
import { maxAbsDiff } from './fixtures.ts';

const ctx = { seed: 11 };

function variable(shape: number[], seed: number, name: string): tf.Variable {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.variable(tf.tensor(distinctValues(n, seed), shape), true, `${name}#${seed}`);
}

/** A fixed random projection, so the loss depends on every output element differently. */
function weightedSum(y: tf.Tensor, seed: number): tf.Scalar {
  return tf.sum(tf.mul(y, tf.tensor(distinctValues(y.size, seed), y.shape)));
}

describe('layer gradients (finite differences, cpu)', () => {
  before(async () => {
    await useBackend('cpu');
  });

  it('conv 3×3 stride 2 padding 1, no bias (the ResNet conv)', () => {
    const store = new ParameterStore('t');
    const conv = new Conv2d(store, ctx, 'c', { inChannels: 3, outChannels: 4, kernel: 3, stride: 2, padding: 1, bias: false, init: 'torch-default' });
    const x = variable([2, 5, 6, 3], 1, 'x');
    checkGradients('conv s2', [x, conv.weight], () => weightedSum(conv.apply(x as tf.Tensor4D, false), 2));
    store.dispose();
    x.dispose();
  });

  it('conv 1×1 stride 2 (projection shortcut) and 7×7 stride 2 padding 3 (ImageNet stem)', () => {
    const store = new ParameterStore('t');
    const proj = new Conv2d(store, ctx, 'p', { inChannels: 3, outChannels: 2, kernel: 1, stride: 2, padding: 0, bias: false, init: 'kaiming-normal-fan-out' });
    const stem = new Conv2d(store, ctx, 's', { inChannels: 2, outChannels: 2, kernel: 7, stride: 2, padding: 3, bias: false, init: 'kaiming-normal-fan-out' });
    const x = variable([1, 5, 5, 3], 3, 'x');
    checkGradients('conv 1x1 s2', [x, proj.weight], () => weightedSum(proj.apply(x as tf.Tensor4D, false), 4));
    const x2 = variable([1, 6, 6, 2], 5, 'x2');
    checkGradients('conv 7x7 s2 p3', [x2, stem.weight], () => weightedSum(stem.apply(x2 as tf.Tensor4D, false), 6));
    store.dispose();
    tf.dispose([x, x2]);
  });

  it('conv 3×3 padding 1 with bias, with and without ReLU (one FusedConv2D kernel)', () => {
    const store = new ParameterStore('t');
    const conv = new Conv2d(store, ctx, 'c', { inChannels: 2, outChannels: 3, kernel: 3, stride: 1, padding: 1, bias: true, init: 'torch-default' });
    const x = variable([2, 4, 4, 2], 7, 'x');
    checkGradients('conv+bias+relu', [x, conv.weight, conv.bias!], () => weightedSum(conv.apply(x as tf.Tensor4D, true), 8));
    checkGradients('conv+bias', [x, conv.weight, conv.bias!], () => weightedSum(conv.apply(x as tf.Tensor4D, false), 9));
    store.dispose();
    x.dispose();
  });

  it('BatchNorm, training mode', () => {
    const store = new ParameterStore('t');
    const bn = new BatchNorm2d(store, 'bn', 4);
    bn.weight.assign(tf.tensor1d([1.2, 0.7, -0.5, 1]));
    bn.bias.assign(tf.tensor1d([0.1, -0.2, 0.3, 0]));
    const x = variable([3, 2, 2, 4], 9, 'x');
    checkGradients('bn', [x, bn.weight, bn.bias], () => weightedSum(bn.applyTrain(x as tf.Tensor4D, { relu: false }), 10));
    store.dispose();
    x.dispose();
  });

  it('BatchNorm, training mode, with residual add and ReLU', () => {
    const store = new ParameterStore('t');
    const bn = new BatchNorm2d(store, 'bn', 3);
    bn.weight.assign(tf.tensor1d([1.5, 0.8, 1.1]));
    bn.bias.assign(tf.tensor1d([0.2, -0.1, 0.05]));
    const x = variable([2, 3, 2, 3], 11, 'x');
    const res = variable([2, 3, 2, 3], 12, 'res');
    checkGradients('bn+res+relu', [x, bn.weight, bn.bias, res], () =>
      weightedSum(bn.applyTrain(x as tf.Tensor4D, { relu: true, residual: res as tf.Tensor4D }), 13));
    store.dispose();
    tf.dispose([x, res]);
  });

  it('linear', () => {
    const store = new ParameterStore('t');
    const fc = new Linear(store, ctx, 'fc', 5, 3);
    const x = variable([2, 5], 14, 'x');
    checkGradients('linear', [x, fc.weight, fc.bias], () => weightedSum(fc.apply(x as tf.Tensor2D), 15));
    store.dispose();
    x.dispose();
  });

  it('max-pool 3×3 stride 2 padding 1 and 2×2 stride 2 (odd and even sizes)', () => {
    const x = variable([2, 5, 6, 2], 16, 'x');
    checkGradients('maxpool 3/2/1', [x], () => weightedSum(maxPool2d(x as tf.Tensor4D, 3, 2, 1), 17), { eps: 1e-3 });
    checkGradients('maxpool 2/2 (odd size)', [x], () => weightedSum(maxPool2d(x as tf.Tensor4D, 2, 2, 0), 18), { eps: 1e-3 });
    const even = variable([2, 4, 6, 3], 23, 'even');
    checkGradients('maxpool 2/2', [even], () => weightedSum(maxPool2d(even as tf.Tensor4D, 2, 2, 0), 24), { eps: 1e-3 });
    tf.dispose([x, even]);
  });

  it('global average pool', () => {
    const x = variable([2, 3, 3, 4], 19, 'x');
    checkGradients('avgpool', [x], () => weightedSum(globalAvgPool(x as tf.Tensor4D), 20));
    x.dispose();
  });

  it('L2 normalisation', () => {
    const x = variable([3, 5], 21, 'x');
    checkGradients('l2norm', [x], () => weightedSum(l2Normalize(x as tf.Tensor2D), 22));
    x.dispose();
  });
});

describe('layer forward semantics (cpu)', () => {
  before(async () => {
    await useBackend('cpu');
  });

  it('max-pool 3×3/2 pad 1 output size is torch\'s floor((H + 2 - 3) / 2) + 1 and padding never wins', () => {
    const x = tf.fill([1, 7, 8, 1], -5) as tf.Tensor4D;
    const y = maxPool2d(x, 3, 2, 1);
    assert.deepEqual(y.shape, [1, 4, 4, 1]);
    assert.ok(y.dataSync().every((v) => v === -5), 'a padded cell won the max');
    tf.dispose([x, y]);
  });

  it('eval-mode BatchNorm folded into the conv equals conv followed by BatchNorm', () => {
    const store = new ParameterStore('t');
    const conv = new Conv2d(store, ctx, 'c', { inChannels: 3, outChannels: 4, kernel: 3, stride: 2, padding: 1, bias: false, init: 'torch-default' });
    const bn = new BatchNorm2d(store, 'bn', 4);
    bn.weight.assign(tf.tensor1d([1.2, 0.7, -0.5, 1]));
    bn.bias.assign(tf.tensor1d([0.1, -0.2, 0.3, 0]));
    bn.runningMean.assign(tf.tensor1d([0.05, -0.1, 0.2, 0]));
    bn.runningVar.assign(tf.tensor1d([0.5, 2, 1.3, 0.9]));
    const x = tf.tensor4d(distinctValues(2 * 6 * 6 * 3, 30), [2, 6, 6, 3]);
    const reference = tf.relu(bn.applyEval(conv.apply(x, false)));
    const { scale, shift } = bn.evalScaleShift();
    const folded = conv.applyScaled(x, scale, shift, true);
    assert.ok(maxAbsDiff(folded.dataSync(), reference.dataSync()) < 1e-5);
    assert.ok(reference.dataSync().some((v) => v > 0.1), 'vacuous: all outputs ~0');
    tf.dispose([x, reference, folded, scale, shift]);
    store.dispose();
  });
});
