/**
 * The SNCA reference ResNets, with the reference's state_dict names.
 *
 * CIFAR (models/resnet_cifar.py, kuangliu-style; snca's cifar.py builds models.ResNet18):
 *   conv1 3×3 s1 p1 → bn1 → relu (no max-pool) → layer1..4 → avg-pool over the 4×4 map →
 *   `linear` → L2 normalise. Projection shortcuts are `layerX.Y.shortcut.0` (1×1 conv, stride)
 *   and `.shortcut.1` (BatchNorm). No custom init: PyTorch defaults.
 * ImageNet (models/resnet.py, torchvision-style of 2018):
 *   conv1 7×7 s2 p3 → bn1 → relu → maxpool 3×3 s2 p1 → layer1..4 → AvgPool2d(7) → `fc` →
 *   L2 normalise. Projection shortcuts are `layerX.Y.downsample.0/.1`. Convs are initialised
 *   N(0, 2/(k·k·out)); BatchNorm 1/0; fc keeps torch's default.
 * In both, a Bottleneck (expansion 4) carries its stride on conv2 (the 3×3), and BasicBlock on
 * conv1; a projection exists when stride ≠ 1 or the channel count changes.
 *
 * The pooling before the head is a global average (layers/pooling.ts), identical to the
 * reference at 32×32 (CIFAR) and 224×224 (ImageNet) and defined at other sizes.
 * The channel widths follow `width` (resnet-layout.ts): the reference's is 64.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ConvInit, InitContext } from './initializers.ts';
import { BatchNorm2d } from './layers/batch-norm.ts';
import { Conv2d } from './layers/conv2d.ts';
import { l2Normalize } from './layers/l2-normalize.ts';
import { Linear } from './layers/linear.ts';
import { globalAvgPool, maxPool2d } from './layers/pooling.ts';
import { checkInput } from './input-check.ts';
import type { BuildOptions, Model, StateDictSlot } from './model-contract.ts';
import { ModelConfigError } from './model-errors.ts';
import { ParameterStore } from './parameter-store.ts';
import { BLOCK_EXPANSION, RESNET_SPECS, blockLayouts, stagePlanes, type ResNetArch, type ResNetSpec } from './resnet-layout.ts';

/**
 * Smallest input side that leaves layer4 with at least a 1×1 map without padding-only
 * windows: CIFAR downsamples 8×, ImageNet 32×.
 */
const MIN_SIZE: Record<ResNetSpec['stem'], number> = { cifar: 8, imagenet: 32 };

/** A convolution followed by its BatchNorm; in eval mode the BatchNorm folds into the conv. */
class ConvBn {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;

  constructor(
    store: ParameterStore,
    ctx: InitContext,
    convName: string,
    bnName: string,
    spec: { inChannels: number; outChannels: number; kernel: number; stride: number; padding: number; init: ConvInit },
  ) {
    // Registration order = torch's: the conv's weight, then the BatchNorm's entries.
    this.conv = new Conv2d(store, ctx, convName, { ...spec, bias: false });
    this.bn = new BatchNorm2d(store, bnName, spec.outChannels);
  }

  apply(x: tf.Tensor4D, training: boolean, relu: boolean, residual?: tf.Tensor4D): tf.Tensor4D {
    if (training) return this.bn.applyTrain(this.conv.apply(x, false), { relu, residual });
    const { scale, shift } = this.bn.evalScaleShift();
    if (!residual) return this.conv.applyScaled(x, scale, shift, relu);
    const y = tf.add<tf.Tensor4D>(this.conv.applyScaled(x, scale, shift, false), residual);
    return relu ? tf.relu(y) : y;
  }
}

interface Block {
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D;
}

class BasicBlock implements Block {
  static readonly expansion = 1;
  private readonly a: ConvBn;
  private readonly b: ConvBn;
  private readonly projection: ConvBn | null;

  constructor(store: ParameterStore, ctx: InitContext, prefix: string, shortcutName: string, cin: number, planes: number, stride: number, init: ConvInit) {
    this.a = new ConvBn(store, ctx, `${prefix}.conv1`, `${prefix}.bn1`, { inChannels: cin, outChannels: planes, kernel: 3, stride, padding: 1, init });
    this.b = new ConvBn(store, ctx, `${prefix}.conv2`, `${prefix}.bn2`, { inChannels: planes, outChannels: planes, kernel: 3, stride: 1, padding: 1, init });
    this.projection = stride !== 1 || cin !== planes
      ? new ConvBn(store, ctx, `${prefix}.${shortcutName}.0`, `${prefix}.${shortcutName}.1`, { inChannels: cin, outChannels: planes, kernel: 1, stride, padding: 0, init })
      : null;
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const h = this.a.apply(x, training, true);
    const shortcut = this.projection ? this.projection.apply(x, training, false) : x;
    return this.b.apply(h, training, true, shortcut);
  }
}

class Bottleneck implements Block {
  static readonly expansion = 4;
  private readonly a: ConvBn;
  private readonly b: ConvBn;
  private readonly c: ConvBn;
  private readonly projection: ConvBn | null;

  constructor(store: ParameterStore, ctx: InitContext, prefix: string, shortcutName: string, cin: number, planes: number, stride: number, init: ConvInit) {
    const out = planes * Bottleneck.expansion;
    this.a = new ConvBn(store, ctx, `${prefix}.conv1`, `${prefix}.bn1`, { inChannels: cin, outChannels: planes, kernel: 1, stride: 1, padding: 0, init });
    // Both references put the stride on the 3×3 conv2 (what torchvision later called v1.5).
    this.b = new ConvBn(store, ctx, `${prefix}.conv2`, `${prefix}.bn2`, { inChannels: planes, outChannels: planes, kernel: 3, stride, padding: 1, init });
    this.c = new ConvBn(store, ctx, `${prefix}.conv3`, `${prefix}.bn3`, { inChannels: planes, outChannels: out, kernel: 1, stride: 1, padding: 0, init });
    this.projection = stride !== 1 || cin !== out
      ? new ConvBn(store, ctx, `${prefix}.${shortcutName}.0`, `${prefix}.${shortcutName}.1`, { inChannels: cin, outChannels: out, kernel: 1, stride, padding: 0, init })
      : null;
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const h1 = this.a.apply(x, training, true);
    const h2 = this.b.apply(h1, training, true);
    const shortcut = this.projection ? this.projection.apply(x, training, false) : x;
    return this.c.apply(h2, training, true, shortcut);
  }
}

export function buildResNet(arch: ResNetArch, opts: BuildOptions): Model {
  const spec = RESNET_SPECS[arch];
  const [h, w, c] = opts.inputShape;
  const minSize = MIN_SIZE[spec.stem];
  if (h < minSize || w < minSize) {
    throw new ModelConfigError(`${arch} needs an input of at least ${minSize}×${minSize}, got ${h}×${w}`);
  }
  const imagenet = spec.stem === 'imagenet';
  const init: ConvInit = imagenet ? 'kaiming-normal-fan-out' : 'torch-default';
  const shortcutName = imagenet ? 'downsample' : 'shortcut';
  const store = new ParameterStore(arch);
  const ctx: InitContext = { seed: opts.seed };

  const width = opts.width;
  const stem = imagenet
    ? new ConvBn(store, ctx, 'conv1', 'bn1', { inChannels: c, outChannels: width, kernel: 7, stride: 2, padding: 3, init })
    : new ConvBn(store, ctx, 'conv1', 'bn1', { inChannels: c, outChannels: width, kernel: 3, stride: 1, padding: 1, init });

  const blocks: Block[] = blockLayouts(arch, width).map(({ prefix, inChannels, planes, stride }) => spec.block === 'basic'
    ? new BasicBlock(store, ctx, prefix, shortcutName, inChannels, planes, stride, init)
    : new Bottleneck(store, ctx, prefix, shortcutName, inChannels, planes, stride, init));
  const head = new Linear(store, ctx, imagenet ? 'fc' : 'linear', stagePlanes(width)[3] * BLOCK_EXPANSION[spec.block], opts.lowDim);

  const inputShape = opts.inputShape;
  return {
    arch,
    lowDim: opts.lowDim,
    inputShape,
    params: store.params,
    buffers: store.buffers,
    stateDict: store.slots as readonly StateDictSlot[],
    apply(x: tf.Tensor4D, training: boolean): tf.Tensor2D {
      checkInput(arch, x, inputShape, { exactSize: false, minSize });
      return tf.tidy(() => {
        let y = stem.apply(x, training, true);
        if (imagenet) y = maxPool2d(y, 3, 2, 1);
        for (const block of blocks) y = block.apply(y, training);
        return l2Normalize(head.apply(globalAvgPool(y)));
      });
    },
    dispose(): void {
      store.dispose();
    },
  };
}
