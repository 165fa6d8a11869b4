/**
 * Per-channel mean of an NHWC tensor ([B, H, W, C] → [C]): BatchNorm's statistics and
 * gradient sums, and a conv bias gradient.
 *
 * Why not tf.mean or a matmul with a row of ones (on wasm, with a fresh tensor each call as
 * in training; README, engine measurements):
 * - tf.mean over axes 0..2 transposes the whole tensor first.
 * - ones[1, n] · X[n, C] runs as an XNNPACK fully-connected op whose *weights* are X, so
 *   every call packs the whole activation into a new operator.
 * - An average pool whose window is the whole map (NHWC-native, one pass) then a mean over
 *   the B pooled rows is one pass, and equals the matmul within float32 rounding.
 */
import * as tf from '@tensorflow/tfjs-core';

export function channelMean(x: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    const pooled = h === 1 && w === 1 ? x : tf.avgPool(x, [h, w], [h, w], 'valid');
    // [B, C] is small: this product's packed operand is B×C, not the activation.
    return tf.reshape(tf.matMul(tf.fill([1, b], 1 / b), tf.reshape(pooled, [b, c])), [c]);
  });
}
