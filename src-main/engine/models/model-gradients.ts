/**
 * Gradients of the kernels the models record on the gradient tape in training.
 *
 * Why this exists: @tensorflow/tfjs-core's Node entry (dist/tf-core.node.js) registers NO
 * gradients — the union package @tensorflow/tfjs does that by importing
 * '@tensorflow/tfjs-core/dist/register_all_gradients', an ESM-only file with extensionless
 * imports that plain Node (and tsx) cannot load. Without registrations tf.variableGrads fails
 * with "gradient function not found for Conv2D". Each config below mirrors tfjs-core's own
 * (src/gradients/*_grad.ts), written with public ops and tf.engine().runKernel for the
 * backprop kernels that tfjs does not export as ops.
 *
 * A kernel that already has a gradient (registered by something else, e.g. the official
 * set in a bundled build) is left alone, so this never overrides.
 *
 * Conv2D's input gradient is a forward convolution where possible (conv-input-gradient.ts):
 * wasm's Conv2DBackpropInput kernel is a scalar loop.
 *
 * Kernels covered: Conv2D, FusedConv2D (conv + bias + linear/ReLU), Add, Relu, MaxPool, AvgPool (and
 * the Cast it emits), Reshape, Square/Sum/Sqrt/Maximum/RealDiv (L2 normalisation), plus Sub and Multiply, which
 * any loss on the embeddings needs. BatchNorm and the linear layer's fused matMul carry
 * their own custom gradients. Losses using other kernels (Exp, Log, MatMul, GatherV2, ...)
 * need theirs registered too: the NCA loss is not covered here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { canUseConvForInputGradient, conv2dInputGradient } from './conv-input-gradient.ts';
import { channelMean } from './layers/channel-mean.ts';
import { hasFastMaxPoolGrad, maxPoolGrad, type MaxPoolGeometry } from '../kernels/max-pool-grad.ts';

type Attrs = tf.NamedAttrMap;

/** Sums `g` over the axes along which `shape` was broadcast, back to `shape`. */
function unbroadcast(g: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.broadcast_util.getReductionAxes(shape, g.shape);
  if (axes.length === 0) return g;
  // A conv bias gradient ([B, H, W, C] → [C]): see channelMean for why not tf.sum.
  if (g.rank === 4 && axes.length === 3 && axes.every((a, i) => a === i)) {
    const [b, h, w] = g.shape as [number, number, number, number];
    return tf.reshape(tf.mul(channelMean(g as tf.Tensor4D), b * h * w), shape);
  }
  // Other leading-axes reductions (small ones here, e.g. a linear bias) as a product with a
  // row of ones, where tf.sum would transpose the whole tensor first.
  if (axes.every((a, i) => a === i)) {
    const n = g.shape.slice(0, axes.length).reduce((a, b) => a * b, 1);
    const rest = g.size / n;
    return tf.reshape(tf.matMul(tf.ones([1, n]), tf.reshape(g, [n, rest])), shape);
  }
  return tf.reshape(tf.sum(g, axes), shape);
}

/** A max-pool with one kernel size, one stride and symmetric numeric padding (else null). */
function squarePool(attrs: Attrs): MaxPoolGeometry | null {
  const one = (v: unknown): number | null => {
    if (typeof v === 'number') return v;
    if (Array.isArray(v) && v.length === 2 && v[0] === v[1] && typeof v[0] === 'number') return v[0];
    return null;
  };
  const kernel = one(attrs['filterSize']);
  const stride = one(attrs['strides']);
  const padAttr = attrs['pad'];
  const pad = padAttr === 'valid' ? 0 : typeof padAttr === 'number' ? padAttr : null;
  if (kernel === null || stride === null || pad === null || attrs['dimRoundingMode'] != null) return null;
  return { kernel, stride, pad };
}

function attr<T>(attrs: Attrs, name: string): T {
  return attrs[name] as unknown as T;
}

/** dL/dx and dL/dW of a conv2d with these attributes, as lazy thunks (the tape asks only for what it needs). */
function convGradients(dy: tf.Tensor4D, x: tf.Tensor4D, filter: tf.Tensor4D, attrs: Attrs): { x: () => tf.Tensor; filter: () => tf.Tensor } {
  const dilations = attr<number | [number, number]>(attrs, 'dilations');
  if (!tf.backend_util.tupleValuesAreOne(dilations ?? 1)) {
    throw new Error(`Gradient of Conv2D with dilations ${String(dilations)} is not supported`);
  }
  const common = {
    strides: attrs['strides'],
    pad: attrs['pad'],
    dataFormat: attrs['dataFormat'],
    dimRoundingMode: attrs['dimRoundingMode'],
  } as Attrs;
  const fastInput = canUseConvForInputGradient({
    pad: attrs['pad'],
    strides: attrs['strides'],
    dilations,
    dataFormat: attrs['dataFormat'],
    dimRoundingMode: attrs['dimRoundingMode'],
  });
  return {
    x: () => fastInput
      ? conv2dInputGradient(dy, filter, x.shape, attr<number | [number, number]>(attrs, 'strides'), attr<number>(attrs, 'pad'))
      : tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, { ...common, inputShape: x.shape } as Attrs) as tf.Tensor,
    filter: () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...common, filterShape: filter.shape } as Attrs) as tf.Tensor,
  };
}

const configs: tf.GradConfig[] = [
  {
    // conv + bias (+ ReLU) as one kernel, recorded on the tape when a model calls it directly
    // (layers/conv2d.ts): tfjs' own fused-conv gradient computes every input's gradient
    // eagerly (the network's input images too) with wasm's scalar Conv2DBackpropInput.
    kernelName: tf.FusedConv2D,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      const activation = attr<string>(attrs, 'activation') ?? 'linear';
      if (activation !== 'linear' && activation !== 'relu') {
        throw new Error(`Gradient of FusedConv2D with activation ${activation} is not supported`);
      }
      // ReLU's gradient from its output: y > 0 exactly where the pre-activation is.
      const dz = (activation === 'relu' ? tf.mul(dy as tf.Tensor, tf.step(y)) : dy) as tf.Tensor4D;
      const [b, h, w] = dz.shape;
      return {
        ...convGradients(dz, x, filter, attrs),
        bias: () => tf.mul(channelMean(dz), b * h * w),
      };
    },
  },
  {
    kernelName: tf.Conv2D,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      return convGradients(dy as tf.Tensor4D, x, filter, attrs);
    },
  },
  {
    kernelName: tf.Add,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as [tf.Tensor, tf.Tensor];
      return { a: () => unbroadcast(dy as tf.Tensor, a.shape), b: () => unbroadcast(dy as tf.Tensor, b.shape) };
    },
  },
  {
    kernelName: tf.Sub,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as [tf.Tensor, tf.Tensor];
      return { a: () => unbroadcast(dy as tf.Tensor, a.shape), b: () => tf.neg(unbroadcast(dy as tf.Tensor, b.shape)) };
    },
  },
  {
    kernelName: tf.Multiply,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as [tf.Tensor, tf.Tensor];
      const g = dy as tf.Tensor;
      return {
        a: () => unbroadcast(tf.mul(g, tf.cast(b, 'float32')), a.shape),
        b: () => unbroadcast(tf.mul(g, tf.cast(a, 'float32')), b.shape),
      };
    },
  },
  {
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as [tf.Tensor];
      return { x: () => tf.mul(dy as tf.Tensor, tf.step(tf.cast(x, 'float32'))) };
    },
  },
  {
    kernelName: tf.MaxPool,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, y] = saved as [tf.Tensor4D, tf.Tensor4D];
      const a = { filterSize: attrs['filterSize'], strides: attrs['strides'], pad: attrs['pad'], dimRoundingMode: attrs['dimRoundingMode'] } as Attrs;
      const geometry = squarePool(attrs);
      if (geometry && hasFastMaxPoolGrad()) return { x: () => maxPoolGrad(dy as tf.Tensor4D, x, geometry, y) };
      return { x: () => tf.engine().runKernel(tf.MaxPoolGrad, { dy: dy as tf.Tensor, input: x, output: y }, a) as tf.Tensor };
    },
  },
  {
    kernelName: tf.AvgPool,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [tf.Tensor4D];
      const a = { filterSize: attrs['filterSize'], strides: attrs['strides'], pad: attrs['pad'] } as Attrs;
      return { x: () => tf.engine().runKernel(tf.AvgPoolGrad, { dy: dy as tf.Tensor, input: x }, a) as tf.Tensor };
    },
  },
  {
    // tf.avgPool casts its output back to the input dtype (a no-op Cast for float32).
    kernelName: tf.Cast,
    gradFunc: (dy) => ({ x: () => (dy as tf.Tensor).clone() }),
  },
  {
    kernelName: tf.Reshape,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as [tf.Tensor];
      return { x: () => tf.reshape(dy as tf.Tensor, x.shape) };
    },
  },
  {
    kernelName: tf.Square,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as [tf.Tensor];
      return { x: () => tf.mul(dy as tf.Tensor, tf.mul(tf.cast(x, 'float32'), 2)) };
    },
  },
  {
    kernelName: tf.Sqrt,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as [tf.Tensor];
      return { x: () => tf.div(dy as tf.Tensor, tf.mul(tf.sqrt(tf.cast(x, 'float32')), 2)) };
    },
  },
  {
    kernelName: tf.Sum,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [tf.Tensor];
      const axes = tf.util.parseAxisParam(attr<number | number[]>(attrs, 'axis'), x.shape);
      const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      return { x: () => tf.mul(tf.reshape(dy as tf.Tensor, expanded), tf.ones(x.shape, 'float32')) };
    },
  },
  {
    kernelName: tf.Maximum,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as [tf.Tensor, tf.Tensor];
      const g = dy as tf.Tensor;
      return {
        a: () => unbroadcast(tf.mul(g, tf.cast(tf.greaterEqual(a, b), 'float32')), a.shape),
        b: () => unbroadcast(tf.mul(g, tf.cast(tf.less(a, b), 'float32')), b.shape),
      };
    },
  },
  {
    kernelName: tf.RealDiv,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as [tf.Tensor, tf.Tensor];
      const g = dy as tf.Tensor;
      return {
        a: () => unbroadcast(tf.div(g, tf.cast(b, 'float32')), a.shape),
        b: () => unbroadcast(tf.neg(tf.div(tf.mul(g, tf.cast(a, 'float32')), tf.square(tf.cast(b, 'float32')))), b.shape),
      };
    },
  },
];

let registered = false;

/** Registers the gradients above where none is registered yet. Idempotent. */
export function registerModelGradients(): void {
  if (registered) return;
  registered = true;
  for (const c of configs) {
    if (tf.getGradient(c.kernelName) == null) tf.registerGradient(c);
  }
}
