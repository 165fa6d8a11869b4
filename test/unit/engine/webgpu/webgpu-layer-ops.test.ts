/**
 * Each kind of layer the seven architectures stack, forward and backward on webgpu against
 * the cpu backend, at float32 rounding level (5e-5 of max(1, |value|); measured ≤ 8e-6):
 * the 1×1 stride-2 projection, 3×3 stride 2 and stride 1 convs (the latter as one fused
 * conv + bias + ReLU kernel), the 7×7 stride-2 ImageNet stem, max-pool 3×3/2 pad 1, global
 * average pool, train-mode BatchNorm with residual and ReLU, the linear head and L2
 * normalisation. Gradients go through the models' own registrations (model-gradients.ts,
 * including the conv input gradient of conv-input-gradient.ts), for every input and weight.
 * When a whole network differs between the backends this says which layer, in seconds.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '../../../../src-main/engine/models/model.ts'; // registers the models' gradients
import { BatchNorm2d } from '../../../../src-main/engine/models/layers/batch-norm.ts';
import { Conv2d } from '../../../../src-main/engine/models/layers/conv2d.ts';
import { l2Normalize } from '../../../../src-main/engine/models/layers/l2-normalize.ts';
import { Linear } from '../../../../src-main/engine/models/layers/linear.ts';
import { globalAvgPool, maxPool2d } from '../../../../src-main/engine/models/layers/pooling.ts';
import { ParameterStore } from '../../../../src-main/engine/models/parameter-store.ts';
import { seededValues, useBackend } from '../use-backend.ts';
import { maxScaledDiff, useWebGpu } from './software-webgpu.ts';

const TOLERANCE = 5e-5;

/** A layer under test: its input shapes and, given the input variables, its output. */
interface LayerCase {
  readonly name: string;
  readonly inputs: readonly number[][];
  /** Builds the layer (its own weights from `store`) and returns its forward function. */
  build(store: ParameterStore): (xs: tf.Tensor[]) => tf.Tensor;
}

const ctx = { seed: 17 };
let variableCount = 0;
const conv = (cin: number, cout: number, kernel: number, stride: number, padding: number, bias = false) =>
  (store: ParameterStore) => {
    const c = new Conv2d(store, ctx, 'c', { inChannels: cin, outChannels: cout, kernel, stride, padding, bias, init: 'torch-default' });
    return ([x]: tf.Tensor[]) => c.apply(x as tf.Tensor4D, bias);
  };

const CASES: LayerCase[] = [
  { name: 'conv 1×1 stride 2 (projection shortcut)', inputs: [[2, 8, 8, 64]], build: conv(64, 128, 1, 2, 0) },
  { name: 'conv 3×3 stride 2 padding 1', inputs: [[2, 8, 8, 64]], build: conv(64, 128, 3, 2, 1) },
  { name: 'conv 3×3 padding 1 + bias + ReLU (fused)', inputs: [[2, 8, 8, 32]], build: conv(32, 64, 3, 1, 1, true) },
  { name: 'conv 7×7 stride 2 padding 3 (ImageNet stem)', inputs: [[2, 32, 32, 3]], build: conv(3, 64, 7, 2, 3) },
  { name: 'max-pool 3×3 stride 2 padding 1', inputs: [[2, 16, 16, 64]], build: () => ([x]) => maxPool2d(x as tf.Tensor4D, 3, 2, 1) },
  { name: 'global average pool', inputs: [[2, 4, 4, 64]], build: () => ([x]) => globalAvgPool(x as tf.Tensor4D) },
  {
    name: 'train-mode BatchNorm + residual + ReLU',
    inputs: [[2, 4, 4, 64], [2, 4, 4, 64]],
    build: (store) => {
      const bn = new BatchNorm2d(store, 'bn', 64);
      return ([x, residual]) => bn.applyTrain(x as tf.Tensor4D, { relu: true, residual: residual as tf.Tensor4D });
    },
  },
  {
    name: 'linear + L2 normalisation',
    inputs: [[2, 512]],
    build: (store) => {
      const fc = new Linear(store, ctx, 'fc', 512, 16);
      return ([x]) => l2Normalize(fc.apply(x as tf.Tensor2D));
    },
  },
];

/** Output and the gradients of Σ output·r w.r.t. every input and every weight, in a fixed order. */
async function forwardBackward(c: LayerCase): Promise<Float32Array[]> {
  const store = new ParameterStore('layer-ops');
  const inputs = c.inputs.map((shape, i) => tf.variable(tf.tensor(seededValues(shape.reduce((a, b) => a * b, 1), 31 + i), shape), true, `layer-ops-input-${i}#${++variableCount}`));
  try {
    const f = c.build(store);
    const y = f(inputs);
    const r = tf.tensor(seededValues(y.size, 41), y.shape);
    const vars = [...inputs, ...store.params.values()];
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(f(inputs), r)), vars);
    const out = [(await y.data()) as Float32Array];
    for (const v of vars) out.push((await grads[v.name]!.data()) as Float32Array);
    tf.dispose([y, r, value, ...Object.values(grads)]);
    return out;
  } finally {
    tf.dispose(inputs);
    store.dispose();
  }
}

describe('webgpu: each layer kind, forward and backward, equals cpu', () => {
  for (const c of CASES) {
    it(c.name, { timeout: 300_000 }, async (t) => {
      await useBackend('cpu');
      const onCpu = await forwardBackward(c);
      await useWebGpu();
      const onGpu = await forwardBackward(c);
      assert.equal(onGpu.length, onCpu.length);
      const diffs = onCpu.map((expected, i) => {
        const what = i === 0 ? 'output' : `gradient ${i}`;
        assert.ok(expected.some((v) => v !== 0), `${c.name}: cpu ${what} is all zero; the comparison proves nothing`);
        return { what, d: maxScaledDiff(onGpu[i]!, expected) };
      });
      t.diagnostic(diffs.map(({ what, d }) => `${what} ${d.toExponential(2)}`).join(', '));
      for (const { what, d } of diffs) assert.ok(d <= TOLERANCE, `${c.name}: ${what} differs by ${d.toExponential(2)}`);
    });
  }
});
