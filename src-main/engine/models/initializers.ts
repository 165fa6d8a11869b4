/**
 * Weight initialisations, matching what the reference PyTorch code produces.
 *
 * - PyTorch's default for nn.Conv2d / nn.Linear weights is kaiming_uniform_(a=sqrt(5)):
 *   gain = sqrt(2 / (1 + 5)), bound = gain * sqrt(3 / fan_in) = 1 / sqrt(fan_in).
 *   Their bias is U(±1/sqrt(fan_in)). fan_in = in_channels * kh * kw (conv) or in_features.
 * - The reference ImageNet ResNet (snca.pytorch models/resnet.py) overrides every Conv2d with
 *   weight.normal_(0, sqrt(2 / n)), n = kh * kw * out_channels, i.e. kaiming_normal_ with
 *   mode='fan_out', nonlinearity='relu'. Its fc keeps the default.
 * - BatchNorm: weight 1, bias 0, running_mean 0, running_var 1 (PyTorch >= 1.2; before that
 *   torch drew the BatchNorm weight from U(0, 1), which the 2018 reference would have got).
 *
 * Values are produced directly in tfjs layout: the distributions are i.i.d., so the element
 * order does not matter for the statistics, only for bit-exact reproduction of torch's stream
 * (which no seeded JS code could give anyway).
 */
import { SeededRandom } from './seeded-random.ts';

export type ConvInit = 'torch-default' | 'kaiming-normal-fan-out';

export interface InitContext {
  readonly seed: number;
}

function rngFor(ctx: InitContext, name: string): SeededRandom {
  return new SeededRandom(ctx.seed, name);
}

/** U(±1/sqrt(fanIn)): PyTorch's default for Conv2d/Linear weights and biases. */
export function torchDefaultUniform(ctx: InitContext, name: string, count: number, fanIn: number): Float32Array {
  return rngFor(ctx, name).fillUniform(new Float32Array(count), 1 / Math.sqrt(fanIn));
}

/** N(0, 2/fanOut), fanOut = kh * kw * out_channels: the reference ImageNet ResNet's conv init. */
export function kaimingNormalFanOut(ctx: InitContext, name: string, count: number, fanOut: number): Float32Array {
  return rngFor(ctx, name).fillNormal(new Float32Array(count), Math.sqrt(2 / fanOut));
}

export function constant(count: number, value: number): Float32Array {
  return new Float32Array(count).fill(value);
}
