/**
 * What every architecture exposes to the trainer, the evaluator and checkpoint import/export,
 * and what createModel (model.ts) hands each architecture's builder. A module of its own so
 * that the builders, the layers and the parameter store can name these types without
 * importing model.ts, which imports the builders.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Arch } from '../../../shared/run-config.ts';
import type { TorchLayout } from './torch-layout.ts';

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

/** What createModel hands an architecture's builder, validated and with defaults filled in. */
export interface BuildOptions {
  readonly lowDim: number;
  /** ResNets: channels of the stem and first stage, doubled by each later stage (64 = the reference). */
  readonly width: number;
  readonly inputShape: [number, number, number];
  readonly seed: number;
}
