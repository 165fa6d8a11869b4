/**
 * The reference's Normalize(2): x / ||x||_2 per row. The reference divides by the bare norm;
 * the norm is floored at 1e-12 (as torch.nn.functional.normalize does) only so an all-zero
 * row gives zeros instead of NaN — for any real embedding the result is identical.
 */
import * as tf from '@tensorflow/tfjs-core';

const MIN_NORM = 1e-12;

export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  // Sum over the last axis: the innermost one, so no backend transposes for the reduction.
  const norm = tf.sqrt(tf.sum(tf.square(x), 1, true));
  return tf.div(x, tf.maximum(norm, MIN_NORM));
}
