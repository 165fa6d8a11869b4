/**
 * nn.BatchNorm2d(C) (eps 1e-5, momentum 0.1), NHWC.
 *
 * Training mode is one custom-gradient op: batch statistics, normalisation, the optional
 * residual add and ReLU that follow it in a ResNet block, and the running-statistics update.
 * - The running statistics are updated inside the op's forward function, which tfjs runs
 *   exactly once per call and never records on the gradient tape, so the update neither
 *   breaks tf.variableGrads nor runs twice; its temporaries die with the op's tidy scope
 *   while the variables keep the new values.
 * - The backward pass is the closed form of BatchNorm's gradient (two per-channel sums),
 *   instead of differentiating through the moments op by op.
 * - Per-channel means go through channelMean (a whole-map average pool): tf.mean over
 *   axes 0..2 of NHWC transposes the whole tensor first on cpu and wasm.
 *
 * Eval mode is folded into the preceding convolution (see evalScaleShift and Conv2d.applyScaled).
 */
import * as tf from '@tensorflow/tfjs-core';
import { constant } from '../initializers.ts';
import { channelMean } from './channel-mean.ts';
import { ModelInputError } from '../model-errors.ts';
import type { ParameterStore } from '../parameter-store.ts';

export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

export interface BatchNormTrainOptions {
  /** Apply ReLU after the (residual-added) output. */
  readonly relu: boolean;
  /** Added to the normalised output before the ReLU (a ResNet block's shortcut). */
  readonly residual?: tf.Tensor4D;
}

export class BatchNorm2d {
  readonly name: string;
  readonly channels: number;
  readonly weight: tf.Variable<tf.Rank.R1>;
  readonly bias: tf.Variable<tf.Rank.R1>;
  readonly runningMean: tf.Variable<tf.Rank.R1>;
  readonly runningVar: tf.Variable<tf.Rank.R1>;
  readonly numBatchesTracked: tf.Variable<tf.Rank.R0>;

  constructor(store: ParameterStore, name: string, channels: number) {
    this.name = name;
    this.channels = channels;
    const c = [channels];
    this.weight = store.addParam(`${name}.weight`, c, { kind: 'same' }, constant(channels, 1)) as tf.Variable<tf.Rank.R1>;
    this.bias = store.addParam(`${name}.bias`, c, { kind: 'same' }, constant(channels, 0)) as tf.Variable<tf.Rank.R1>;
    this.runningMean = store.addFloatBuffer(`${name}.running_mean`, c, constant(channels, 0)) as tf.Variable<tf.Rank.R1>;
    this.runningVar = store.addFloatBuffer(`${name}.running_var`, c, constant(channels, 1)) as tf.Variable<tf.Rank.R1>;
    this.numBatchesTracked = store.addCounterBuffer(`${name}.num_batches_tracked`) as tf.Variable<tf.Rank.R0>;
  }

  /** Eval-mode BatchNorm as z * scale + shift per channel. */
  evalScaleShift(): { scale: tf.Tensor1D; shift: tf.Tensor1D } {
    const scale = tf.mul<tf.Tensor1D>(this.weight, tf.rsqrt(tf.add(this.runningVar, BN_EPS)));
    const shift = tf.sub<tf.Tensor1D>(this.bias, tf.mul(this.runningMean, scale));
    return { scale, shift };
  }

  /** Eval-mode BatchNorm on its own (for tests and layers with nothing to fold into). */
  applyEval(x: tf.Tensor4D): tf.Tensor4D {
    return tf.batchNorm4d(x, this.runningMean, this.runningVar, this.bias, this.weight, BN_EPS);
  }

  /** Train-mode BatchNorm (+ residual) (+ ReLU); updates the running statistics once. */
  applyTrain(x: tf.Tensor4D, opts: BatchNormTrainOptions): tf.Tensor4D {
    const [b, h, w, c] = x.shape;
    const n = b * h * w;
    if (n < 2) {
      throw new ModelInputError(
        `BatchNorm ${this.name} in training mode needs more than one value per channel, got input [${x.shape.join(', ')}]; ` +
          'use a batch of at least 2 images (or a larger input size)',
      );
    }
    if (c !== this.channels) {
      throw new ModelInputError(`BatchNorm ${this.name} expects ${this.channels} channels, got input [${x.shape.join(', ')}]`);
    }
    const { relu, residual } = opts;
    const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const save = args[args.length - 1] as tf.GradSaveFunc;
      const xIn = args[0] as tf.Tensor4D;
      const gamma = args[1] as tf.Tensor1D;
      const beta = args[2] as tf.Tensor1D;
      const res = residual ? (args[3] as tf.Tensor4D) : undefined;

      const mean = channelMean(xIn);
      // Two-pass variance: E[x²] - E[x]² cancels catastrophically when |mean| >> std.
      const variance = channelMean(tf.squaredDifference(xIn, mean));
      this.updateRunningStats(mean, variance, n);

      let y = tf.batchNorm(xIn, mean, variance, beta, gamma, BN_EPS);
      if (res) y = tf.add(y, res);
      if (relu) y = tf.relu(y);
      save([xIn, mean, variance, gamma, y]);

      const gradFunc = (dy: tf.Tensor4D, saved: tf.Tensor[]): tf.Tensor[] => {
        const [xS, meanS, varS, gammaS, yS] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor4D];
        const g: tf.Tensor4D = relu ? tf.mul(dy, tf.step(yS)) : dy;
        // x̂ = (x - mean) / sqrt(var + eps), in one fused kernel.
        const xhat = tf.batchNorm(xS, meanS, varS, undefined, undefined, BN_EPS);
        const meanG = channelMean(g);
        const meanGXhat = channelMean(tf.mul(g, xhat));
        const k = tf.mul(gammaS, tf.rsqrt(tf.add(varS, BN_EPS)));
        // dL/dx = gamma/sigma * (g - mean(g) - x̂ * mean(g * x̂))
        const dx = tf.mul(tf.sub(tf.sub(g, meanG), tf.mul(xhat, meanGXhat)), k);
        const grads: tf.Tensor[] = [dx, tf.mul(meanGXhat, n), tf.mul(meanG, n)];
        if (res) grads.push(g);
        return grads;
      };
      return { value: y, gradFunc };
    });
    return residual ? op(x, this.weight, this.bias, residual) : op(x, this.weight, this.bias);
  }

  /** PyTorch: running = (1 - m) * running + m * batch, with the unbiased batch variance. */
  private updateRunningStats(mean: tf.Tensor1D, biasedVar: tf.Tensor1D, n: number): void {
    const m = BN_MOMENTUM;
    this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m)));
    this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(biasedVar, (m * n) / (n - 1))));
    this.numBatchesTracked.assign(tf.add(this.numBatchesTracked, tf.scalar(1, 'int32')));
  }
}
