/**
 * The embedding networks of SNCA, built by architecture name. What every architecture
 * exposes (Model) is declared in model-contract.ts. Parameters and buffers carry the
 * reference PyTorch state_dict names so checkpoints move between this app and PyTorch unchanged.
 */
import { ARCHS } from '../../../shared/run-config.ts';
import { ModelConfigError } from './model-errors.ts';
import { registerModelGradients } from './model-gradients.ts';
import { buildResNet } from './resnet.ts';
import { DEFAULT_RESNET_WIDTH } from './resnet-layout.ts';
import { buildSmallConvNet } from './small-convnet.ts';
import type { ArchName, Model } from './model-contract.ts';

// Training computes tf.variableGrads through apply(); tfjs-core alone registers no gradients in Node.
registerModelGradients();

export type { ArchName, BuildOptions, Model, StateDictSlot } from './model-contract.ts';

export interface ModelOptions {
  /** Embedding size; default 128 (the paper's). */
  lowDim?: number;
  /** H, W, C; default per architecture (see defaultInputShape). */
  inputShape?: [number, number, number];
  /** Initialisation seed; default 0, so a model built twice without a seed is the same model. */
  seed?: number;
  /**
   * ResNets: channels of the stem and first stage, doubled by each later stage; default 64,
   * the reference's. Imported checkpoints of reduced width set it (resnet-layout.ts).
   */
  width?: number;
}

function isArchName(s: string): s is ArchName {
  return (ARCHS as readonly string[]).includes(s);
}

export function defaultInputShape(arch: ArchName): [number, number, number] {
  if (arch === 'small-convnet') return [28, 28, 1];
  if (arch.startsWith('cifar-')) return [32, 32, 3];
  return [224, 224, 3];
}

export function createModel(arch: ArchName, opts: ModelOptions = {}): Model {
  if (!isArchName(arch)) {
    throw new ModelConfigError(`Unknown architecture "${String(arch)}"; choose one of ${ARCHS.join(', ')}`);
  }
  const lowDim = opts.lowDim ?? 128;
  if (!Number.isInteger(lowDim) || lowDim < 1) {
    throw new ModelConfigError(`lowDim must be a positive integer, got ${lowDim}`);
  }
  const inputShape = opts.inputShape ?? defaultInputShape(arch);
  if (inputShape.length !== 3 || !inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ModelConfigError(`inputShape must be [height, width, channels] of positive integers, got [${inputShape.join(', ')}]`);
  }
  const seed = opts.seed ?? 0;
  if (!Number.isFinite(seed)) throw new ModelConfigError(`seed must be a finite number, got ${seed}`);
  const width = opts.width ?? DEFAULT_RESNET_WIDTH;
  if (!Number.isInteger(width) || width < 1 || width > 4096) throw new ModelConfigError(`width must be an integer in 1..4096, got ${width}`);
  if (arch === 'small-convnet' && width !== DEFAULT_RESNET_WIDTH) throw new ModelConfigError('width applies to the ResNets only, not small-convnet');
  const shape: [number, number, number] = [inputShape[0], inputShape[1], inputShape[2]];
  switch (arch) {
    case 'small-convnet':
      return buildSmallConvNet({ lowDim, inputShape: shape, seed, width });
    case 'cifar-resnet18':
    case 'cifar-resnet34':
    case 'cifar-resnet50':
    case 'resnet18':
    case 'resnet34':
    case 'resnet50':
      return buildResNet(arch, { lowDim, inputShape: shape, seed, width });
  }
}
