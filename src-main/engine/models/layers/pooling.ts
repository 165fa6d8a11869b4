/** Pooling with PyTorch semantics, NHWC. */
import * as tf from '@tensorflow/tfjs-core';

/**
 * nn.MaxPool2d(kernel, stride, padding): padded cells never win (torch pads with -inf) and
 * the output size is floor((H + 2p - k) / s) + 1, which tfjs computes for numeric padding.
 * Its gradient on wasm is our kernel (kernels/max-pool-grad.ts, via model-gradients.ts):
 * tfjs's is a scalar loop.
 */
export function maxPool2d(x: tf.Tensor4D, kernel: number, stride: number, padding: number): tf.Tensor4D {
  return tf.maxPool(x, kernel, stride, padding === 0 ? 'valid' : padding);
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
