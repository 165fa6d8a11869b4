/** nn.Linear: y = x W^T + b, with W stored transposed ([in, out]) so no transpose runs per step. */
import * as tf from '@tensorflow/tfjs-core';
import { torchDefaultUniform, type InitContext } from '../initializers.ts';
import type { ParameterStore } from '../parameter-store.ts';
import type { TorchLayout } from '../torch-layout.ts';

/**
 * x·W + b with its own gradient. tfjs' fused matMul differentiates with transposeA/B
 * matMuls, which wasm runs as a scalar loop (~1 GFLOP/s); explicit transposes of the two
 * small operands keep both backward products on the fast path.
 */
const affine = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, w, b] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
  const save = args[3] as tf.GradSaveFunc;
  save([x, w]);
  const value = tf.fused.matMul({ a: x, b: w, bias: b }) as tf.Tensor2D;
  const gradFunc = (dy: tf.Tensor2D, saved: tf.Tensor[]): tf.Tensor[] => {
    const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
    const dx = tf.matMul(dy, tf.transpose(ws));
    const dw = tf.matMul(tf.transpose(xs), dy);
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
