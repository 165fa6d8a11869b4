/**
 * The shape of the reference ResNets without building them: block kind, blocks per stage,
 * stem, channel widths, and the full state_dict (names, torch shapes, dtypes) that follows.
 * resnet.ts builds the layers from it; checkpoint conversion matches a file's keys against it
 * for every architecture without allocating a single weight.
 *
 * Width: the stem and the first stage have `width` channels and each later stage doubles it
 * (the reference's 64, 128, 256, 512 at width 64, the default). Smaller widths give the same
 * structure with fewer channels (the test fixtures use them to stay small).
 */
import type { ArchName } from './model-contract.ts';

export type ResNetArch = Exclude<ArchName, 'small-convnet'>;
export type BlockKind = 'basic' | 'bottleneck';

export interface ResNetSpec {
  readonly block: BlockKind;
  readonly counts: readonly [number, number, number, number];
  readonly stem: 'cifar' | 'imagenet';
}

export const RESNET_SPECS: Record<ResNetArch, ResNetSpec> = {
  'cifar-resnet18': { block: 'basic', counts: [2, 2, 2, 2], stem: 'cifar' },
  'cifar-resnet34': { block: 'basic', counts: [3, 4, 6, 3], stem: 'cifar' },
  'cifar-resnet50': { block: 'bottleneck', counts: [3, 4, 6, 3], stem: 'cifar' },
  resnet18: { block: 'basic', counts: [2, 2, 2, 2], stem: 'imagenet' },
  resnet34: { block: 'basic', counts: [3, 4, 6, 3], stem: 'imagenet' },
  resnet50: { block: 'bottleneck', counts: [3, 4, 6, 3], stem: 'imagenet' },
};

export const RESNET_ARCHS = Object.keys(RESNET_SPECS) as ResNetArch[];

/** The reference's width: stages of 64, 128, 256 and 512 planes. */
export const DEFAULT_RESNET_WIDTH = 64;

export const BLOCK_EXPANSION: Record<BlockKind, number> = { basic: 1, bottleneck: 4 };

export function isResNetArch(arch: string): arch is ResNetArch {
  return Object.prototype.hasOwnProperty.call(RESNET_SPECS, arch);
}

/** Planes of each stage at `width`. */
export function stagePlanes(width: number): [number, number, number, number] {
  return [width, width * 2, width * 4, width * 8];
}

/** One block of a stage: where it sits, its input channels, planes, stride and whether it projects its shortcut. */
export interface BlockLayout {
  readonly prefix: string;
  readonly inChannels: number;
  readonly planes: number;
  readonly stride: number;
  readonly projection: boolean;
}

export function blockLayouts(arch: ResNetArch, width: number): BlockLayout[] {
  const spec = RESNET_SPECS[arch];
  const expansion = BLOCK_EXPANSION[spec.block];
  const out: BlockLayout[] = [];
  let cin = width;
  stagePlanes(width).forEach((planes, li) => {
    for (let bi = 0; bi < spec.counts[li]!; bi++) {
      const stride = li > 0 && bi === 0 ? 2 : 1;
      out.push({ prefix: `layer${li + 1}.${bi}`, inChannels: cin, planes, stride, projection: stride !== 1 || cin !== planes * expansion });
      cin = planes * expansion;
    }
  });
  return out;
}

export interface LayoutEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int64';
}

export interface LayoutOptions {
  readonly width: number;
  readonly lowDim: number;
  readonly inChannels: number;
}

/** The state_dict, in torch's order, of `arch` at these widths. */
export function resnetStateDictLayout(arch: ResNetArch, opts: LayoutOptions): LayoutEntry[] {
  const spec = RESNET_SPECS[arch];
  const imagenet = spec.stem === 'imagenet';
  const shortcut = imagenet ? 'downsample' : 'shortcut';
  const out: LayoutEntry[] = [];
  const bn = (name: string, c: number): void => {
    out.push({ name: `${name}.weight`, shape: [c], dtype: 'float32' }, { name: `${name}.bias`, shape: [c], dtype: 'float32' },
      { name: `${name}.running_mean`, shape: [c], dtype: 'float32' }, { name: `${name}.running_var`, shape: [c], dtype: 'float32' },
      { name: `${name}.num_batches_tracked`, shape: [], dtype: 'int64' });
  };
  const conv = (name: string, o: number, i: number, k: number): void => {
    out.push({ name: `${name}.weight`, shape: [o, i, k, k], dtype: 'float32' });
  };
  conv('conv1', opts.width, opts.inChannels, imagenet ? 7 : 3);
  bn('bn1', opts.width);
  const expansion = BLOCK_EXPANSION[spec.block];
  for (const b of blockLayouts(arch, opts.width)) {
    if (spec.block === 'basic') {
      conv(`${b.prefix}.conv1`, b.planes, b.inChannels, 3);
      bn(`${b.prefix}.bn1`, b.planes);
      conv(`${b.prefix}.conv2`, b.planes, b.planes, 3);
      bn(`${b.prefix}.bn2`, b.planes);
    } else {
      conv(`${b.prefix}.conv1`, b.planes, b.inChannels, 1);
      bn(`${b.prefix}.bn1`, b.planes);
      conv(`${b.prefix}.conv2`, b.planes, b.planes, 3);
      bn(`${b.prefix}.bn2`, b.planes);
      conv(`${b.prefix}.conv3`, b.planes * expansion, b.planes, 1);
      bn(`${b.prefix}.bn3`, b.planes * expansion);
    }
    if (b.projection) {
      conv(`${b.prefix}.${shortcut}.0`, b.planes * expansion, b.inChannels, 1);
      bn(`${b.prefix}.${shortcut}.1`, b.planes * expansion);
    }
  }
  const head = imagenet ? 'fc' : 'linear';
  const features = stagePlanes(opts.width)[3] * expansion;
  out.push({ name: `${head}.weight`, shape: [opts.lowDim, features], dtype: 'float32' }, { name: `${head}.bias`, shape: [opts.lowDim], dtype: 'float32' });
  return out;
}
