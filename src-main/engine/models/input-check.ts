/** Shape/dtype checks of a batch before it reaches the kernels, whose own errors name no model. */
import type * as tf from '@tensorflow/tfjs-core';
import { ModelInputError } from './model-errors.ts';

export function checkInput(
  arch: string,
  x: tf.Tensor,
  inputShape: readonly [number, number, number],
  opts: { exactSize: boolean; minSize?: number },
): void {
  const [h, w, c] = inputShape;
  if (x.rank !== 4) {
    throw new ModelInputError(`${arch} expects an NHWC batch [B, ${h}, ${w}, ${c}], got a rank-${x.rank} tensor [${x.shape.join(', ')}]`);
  }
  if (x.dtype !== 'float32') {
    throw new ModelInputError(`${arch} expects float32 images, got ${x.dtype}`);
  }
  const [, xh, xw, xc] = x.shape as [number, number, number, number];
  if (xc !== c) {
    throw new ModelInputError(
      `${arch} was built for ${c}-channel images, got [${x.shape.join(', ')}] (NHWC expected; is the batch NCHW?)`,
    );
  }
  if (opts.exactSize && (xh !== h || xw !== w)) {
    throw new ModelInputError(`${arch} was built for ${h}×${w} inputs (its fc layer depends on it), got ${xh}×${xw}`);
  }
  if (opts.minSize !== undefined && (xh < opts.minSize || xw < opts.minSize)) {
    throw new ModelInputError(`${arch} needs inputs of at least ${opts.minSize}×${opts.minSize}, got ${xh}×${xw}`);
  }
}
