/** Pooling with PyTorch semantics, NHWC. */
import * as tf from '@tensorflow/tfjs-core';

/**
 * nn.MaxPool2d(kernel, stride, padding): padded cells never win (torch pads with -inf) and
 * the output size is floor((H + 2p - k) / s) + 1, which tfjs computes for numeric padding.
 */
export function maxPool2d(x: tf.Tensor4D, kernel: number, stride: number, padding: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  if (kernel === stride && padding === 0 && h % kernel === 0 && w % kernel === 0) return tilingMaxPool(x, kernel);
  return tf.maxPool(x, kernel, stride, padding === 0 ? 'valid' : padding);
}

/**
 * Repeats each cell of [B, h, w, C] k×k times: [B, h·k, w·k, C]. Concats of copies, because
 * wasm's Tile kernel is ~50× slower than its Concat for this (measured).
 */
function upsample(t: tf.Tensor4D, k: number): tf.Tensor4D {
  const [b, h, w, c] = t.shape;
  const cell = tf.reshape(t, [b, h, 1, w, 1, c]);
  const wide = tf.concat(new Array<tf.Tensor>(k).fill(cell), 4);
  const tall = tf.concat(new Array<tf.Tensor>(k).fill(wide), 2);
  return tf.reshape(tall, [b, h * k, w * k, c]);
}

/**
 * Non-overlapping k×k max-pool with a gradient built from elementwise ops: wasm's MaxPoolGrad
 * is a scalar loop (half of the small-convnet's backward pass). The gradient goes to every
 * input equal to its window's max; torch picks one of tied maxima. Ties only happen between
 * exact zeros after a ReLU, whose own gradient is 0, so the models' gradients are the same.
 */
const tilingMaxPoolOp = (k: number): ((x: tf.Tensor4D) => tf.Tensor4D) =>
  tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const x = args[0] as tf.Tensor4D;
    const save = args[1] as tf.GradSaveFunc;
    const y = tf.maxPool(x, k, k, 'valid');
    save([x, y]);
    const gradFunc = (dy: tf.Tensor4D, saved: tf.Tensor[]): tf.Tensor4D => {
      const [xs, ys] = saved as [tf.Tensor4D, tf.Tensor4D];
      const mask = tf.cast(tf.equal(xs, upsample(ys, k)), 'float32');
      return tf.mul(mask, upsample(dy, k));
    };
    return { value: y, gradFunc };
  }) as (x: tf.Tensor4D) => tf.Tensor4D;

const tilingOps = new Map<number, (x: tf.Tensor4D) => tf.Tensor4D>();

function tilingMaxPool(x: tf.Tensor4D, k: number): tf.Tensor4D {
  let op = tilingOps.get(k);
  if (!op) {
    op = tilingMaxPoolOp(k);
    tilingOps.set(k, op);
  }
  return op(x);
}

/**
 * Mean over H and W → [B, C]. One avgPool whose window is the whole map: NHWC-native on
 * every backend, where tf.mean over axes [1, 2] would first transpose the tensor.
 * This equals the reference heads: CIFAR's avg_pool2d(out, 4) on the 4×4 map of a 32×32
 * input, and ImageNet's AvgPool2d(7, stride=1) on the 7×7 map of a 224×224 input; at other
 * sizes it is the global average pooling those layers stand for (theirs would not run).
 */
export function globalAvgPool(x: tf.Tensor4D): tf.Tensor2D {
  const [b, h, w, c] = x.shape;
  const pooled = h === 1 && w === 1 ? x : tf.avgPool(x, [h, w], [h, w], 'valid');
  return tf.reshape(pooled, [b, c]);
}
