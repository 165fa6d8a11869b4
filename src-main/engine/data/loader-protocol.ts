/** Messages between the loader pool and its worker threads, and the shapes of their work. */
import type { ImageShape } from './dataset.ts';
import type { TransformSpec } from './transforms.ts';

/** Where a pipeline's raw images come from. */
export type SampleSource =
  /** Same-size uint8 HWC RGB images packed back to back (CIFAR); a SharedArrayBuffer view is shared, not copied. */
  | { readonly kind: 'memory'; readonly pixels: Uint8Array; readonly width: number; readonly height: number }
  /** Encoded image files; each task carries the paths of its samples. */
  | { readonly kind: 'files' };

export interface PipelineSpec {
  readonly id: number;
  readonly source: SampleSource;
  readonly transforms: readonly TransformSpec[];
  /** Every transformed sample must have this shape. */
  readonly outShape: ImageShape;
}

export interface BatchTask {
  readonly taskId: number;
  readonly pipelineId: number;
  /** Sample indexes in the split; augmentation randomness derives from (seed, epoch, index). */
  readonly indexes: Int32Array;
  /** For file sources: the path of each sample. */
  readonly paths?: readonly string[];
  readonly seed: number;
  readonly epoch: number;
}

export interface SampleFailure {
  readonly index: number;
  readonly path: string;
  readonly reason: string;
}

export interface BatchOutput {
  readonly taskId: number;
  /** NHWC of the kept samples only. */
  readonly images: Float32Array;
  /** Positions (in the task's `indexes`) of the samples that made it into `images`. */
  readonly kept: Int32Array;
  readonly failures: readonly SampleFailure[];
}

export type ToWorker =
  | { readonly type: 'pipeline'; readonly pipeline: PipelineSpec }
  | { readonly type: 'task'; readonly task: BatchTask };

export type FromWorker =
  | { readonly type: 'result'; readonly output: BatchOutput }
  | { readonly type: 'error'; readonly taskId: number; readonly message: string };
