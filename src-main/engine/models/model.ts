/**
 * The embedding networks of SNCA: what every architecture exposes to the trainer, the
 * evaluator and checkpoint import/export. Parameters and buffers carry the reference
 * PyTorch state_dict names so checkpoints move between this app and PyTorch unchanged.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { ARCHS, type Arch } from '../../../shared/run-config.ts';
import { ModelConfigError } from './model-errors.ts';
import { registerModelGradients } from './model-gradients.ts';
import { buildResNet } from './resnet.ts';
import { buildSmallConvNet } from './small-convnet.ts';
import type { TorchLayout } from './torch-layout.ts';

// Training computes tf.variableGrads through apply(); tfjs-core alone registers no gradients in Node.
registerModelGradients();

export type ArchName = Arch;

/** One state_dict entry as PyTorch sees it, and how the model stores it. */
export interface StateDictSlot {
  readonly name: string;
  readonly role: 'param' | 'buffer';
  /** Shape in PyTorch (e.g. conv [out, in, kh, kw]); [] for num_batches_tracked. */
  readonly torchShape: readonly number[];
  /** 'int64' only for BatchNorm num_batches_tracked (stored as int32 here: tfjs has no int64). */
  readonly torchDtype: 'float32' | 'int64';
  readonly layout: TorchLayout;
  readonly variable: tf.Variable;
}

export interface Model {
  readonly arch: ArchName;
  readonly lowDim: number;
  /** H, W, C (NHWC). */
  readonly inputShape: [number, number, number];
  /** Trainable, keyed by the PyTorch state_dict name, in state_dict order. Stored in tfjs layout (see torch-layout.ts). */
  readonly params: Map<string, tf.Variable>;
  /** BatchNorm running_mean / running_var (float32) / num_batches_tracked (int32), PyTorch names. */
  readonly buffers: Map<string, tf.Variable>;
  /** Every entry of the PyTorch state_dict in its order (params and buffers interleaved as torch does). */
  readonly stateDict: readonly StateDictSlot[];
  /**
   * x: NHWC float32. Returns L2-normalised embeddings [B, lowDim].
   * training=true: BatchNorm normalises with batch statistics AND updates its running
   * statistics once per call (momentum 0.1, unbiased variance for running_var), like
   * PyTorch's train mode; safe inside tf.variableGrads.
   */
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor2D;
  dispose(): void;
}

export interface ModelOptions {
  /** Embedding size; default 128 (the paper's). */
  lowDim?: number;
  /** H, W, C; default per architecture (see defaultInputShape). */
  inputShape?: [number, number, number];
  /** Initialisation seed; default 0, so a model built twice without a seed is the same model. */
  seed?: number;
}

/** What createModel hands an architecture's builder, validated and with defaults filled in. */
export interface BuildOptions {
  readonly lowDim: number;
  readonly inputShape: [number, number, number];
  readonly seed: number;
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
  const shape: [number, number, number] = [inputShape[0], inputShape[1], inputShape[2]];
  switch (arch) {
    case 'small-convnet':
      return buildSmallConvNet({ lowDim, inputShape: shape, seed });
    case 'cifar-resnet18':
    case 'cifar-resnet34':
    case 'cifar-resnet50':
    case 'resnet18':
    case 'resnet34':
    case 'resnet50':
      return buildResNet(arch, { lowDim, inputShape: shape, seed });
  }
}
