/** nn.Linear: y = x W^T + b, with W stored transposed ([in, out]) so no transpose runs per step. */
import * as tf from '@tensorflow/tfjs-core';
import { torchDefaultUniform, type InitContext } from '../initializers.ts';
import type { ParameterStore } from '../parameter-store.ts';
import type { TorchLayout } from '../torch-layout.ts';
import { sliceRowsTransposed } from '../../kernels/row-slices.ts';

/** tᵀ; on wasm our two-thread kernel (wasm's Transpose is a generic strided loop). */
function transposed(t: tf.Tensor2D): tf.Tensor2D {
  return sliceRowsTransposed(t, 0, t.shape[0]);
}

/**
 * x·W + b with its own gradient. tfjs' fused matMul differentiates with transposeA/B
 * matMuls, which wasm runs as a scalar loop; explicit transposes keep both backward
 * products on XNNPACK. dx is computed as (W · dyᵀ)ᵀ: XNNPACK packs the right-hand operand
 * on every call (W changes every step), and that way it packs the small dyᵀ instead of a
 * transposed copy of W.
 */
const affine = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, w, b] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
  const save = args[3] as tf.GradSaveFunc;
  save([x, w]);
  const value = tf.fused.matMul({ a: x, b: w, bias: b }) as tf.Tensor2D;
  const gradFunc = (dy: tf.Tensor2D, saved: tf.Tensor[]): tf.Tensor[] => {
    const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
    const dx = transposed(tf.matMul(ws, transposed(dy)));
    const dw = tf.matMul(transposed(xs), dy);
    const db = tf.reshape(tf.matMul(tf.ones([1, dy.shape[0]]), dy), [dy.shape[1]]);
    return [dx, dw, db];
  };
  return { value, gradFunc };
});

export class Linear {
  /** tfjs layout [in, out]. */
  readonly weight: tf.Variable<tf.Rank.R2>;
  readonly bias: tf.Variable<tf.Rank.R1>;

  /**
   * `layout` is 'linear', or 'linear-nchw-flatten' when the input is a flattened feature map
   * (the weight's rows are then in NHWC order here and in NCHW order in torch).
   */
  constructor(
    store: ParameterStore,
    ctx: InitContext,
    name: string,
    inFeatures: number,
    outFeatures: number,
    layout: TorchLayout = { kind: 'linear' },
  ) {
    const w = torchDefaultUniform(ctx, `${name}.weight`, inFeatures * outFeatures, inFeatures);
    this.weight = store.addParam(`${name}.weight`, [outFeatures, inFeatures], layout, w) as tf.Variable<tf.Rank.R2>;
    const b = torchDefaultUniform(ctx, `${name}.bias`, outFeatures, inFeatures);
    this.bias = store.addParam(`${name}.bias`, [outFeatures], { kind: 'same' }, b) as tf.Variable<tf.Rank.R1>;
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return affine(x, this.weight, this.bias) as tf.Tensor2D;
  }
}
