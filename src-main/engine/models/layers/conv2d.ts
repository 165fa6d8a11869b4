/**
 * nn.Conv2d with symmetric zero padding, NHWC. Padding is always explicit (a number), never
 * 'same': TensorFlow's 'same' pads a stride-2 3×3 conv on even inputs asymmetrically (0 top,
 * 1 bottom), PyTorch pads 1 on both sides, and the outputs differ.
 */
import * as tf from '@tensorflow/tfjs-core';
import { constant, kaimingNormalFanOut, torchDefaultUniform, type ConvInit, type InitContext } from '../initializers.ts';
import type { ParameterStore } from '../parameter-store.ts';

export interface Conv2dSpec {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: number;
  readonly stride: number;
  readonly padding: number;
  readonly bias: boolean;
  readonly init: ConvInit;
}

export class Conv2d {
  /** tfjs layout [kh, kw, in, out]. */
  readonly weight: tf.Variable<tf.Rank.R4>;
  readonly bias: tf.Variable<tf.Rank.R1> | null;
  readonly spec: Conv2dSpec;

  constructor(store: ParameterStore, ctx: InitContext, name: string, spec: Conv2dSpec) {
    this.spec = spec;
    const { inChannels: cin, outChannels: cout, kernel: k } = spec;
    const count = k * k * cin * cout;
    const fanIn = cin * k * k;
    const w = spec.init === 'torch-default'
      ? torchDefaultUniform(ctx, `${name}.weight`, count, fanIn)
      : kaimingNormalFanOut(ctx, `${name}.weight`, count, k * k * cout);
    this.weight = store.addParam(`${name}.weight`, [cout, cin, k, k], { kind: 'conv2d' }, w) as tf.Variable<tf.Rank.R4>;
    if (spec.bias) {
      // The reference ImageNet init touches only conv weights, so the bias keeps torch's default either way.
      const b = spec.init === 'torch-default' ? torchDefaultUniform(ctx, `${name}.bias`, cout, fanIn) : constant(cout, 0);
      this.bias = store.addParam(`${name}.bias`, [cout], { kind: 'same' }, b) as tf.Variable<tf.Rank.R1>;
    } else {
      this.bias = null;
    }
  }

  /**
   * conv (+ bias) (+ ReLU) as ONE FusedConv2D kernel, in training too. Called through the
   * engine rather than tf.fused.conv2d: under a gradient tape that op either splits into
   * conv, add and relu (three passes over the output, and three backward) or, without an
   * activation, takes a custom gradient that computes the input's gradient even for the
   * network's images. The tape records the kernel itself; its gradient is registered in
   * model-gradients.ts.
   */
  apply(x: tf.Tensor4D, relu: boolean): tf.Tensor4D {
    const { stride, padding } = this.spec;
    if (!this.bias && !relu) return tf.conv2d(x, this.weight, stride, padding);
    const inputs: tf.NamedTensorMap = { x, filter: this.weight };
    if (this.bias) inputs['bias'] = this.bias;
    const attrs = {
      strides: stride,
      pad: padding,
      dataFormat: 'NHWC',
      dilations: 1,
      activation: relu ? 'relu' : 'linear',
    };
    return tf.engine().runKernel(tf.FusedConv2D, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }

  /**
   * conv with the filter scaled per output channel and a per-channel bias, (+ ReLU): a
   * BatchNorm in eval mode folded into the conv, one kernel instead of three.
   */
  applyScaled(x: tf.Tensor4D, scale: tf.Tensor1D, shift: tf.Tensor1D, relu: boolean): tf.Tensor4D {
    const { stride, padding } = this.spec;
    // [kh, kw, in, out] * [out] broadcasts over the last axis: scales each output channel.
    const filter = tf.mul<tf.Tensor4D>(this.weight, scale);
    const bias = this.bias ? tf.add<tf.Tensor1D>(tf.mul(this.bias, scale), shift) : shift;
    return tf.fused.conv2d({ x, filter, strides: stride, pad: padding, bias, activation: relu ? 'relu' : 'linear' });
  }
}
