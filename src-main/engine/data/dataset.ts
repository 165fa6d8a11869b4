/**
 * The data interfaces the trainer and evaluator consume. Every dataset (the MNIST demo,
 * CIFAR, ImageNet-style folders) is exposed as splits that a loader turns into batches.
 * Images travel as NHWC float32, already normalised, so that the training thread does
 * no per-pixel work.
 */

export type ImageShape = readonly [height: number, width: number, channels: number];

export interface Batch {
  /** NHWC, length = size * H * W * C, normalised. */
  readonly images: Float32Array;
  readonly shape: readonly [batch: number, height: number, width: number, channels: number];
  readonly labels: Int32Array;
  /** Row of each sample in its split (= memory-bank slot for the train split). */
  readonly indexes: Int32Array;
}

export interface DatasetSplit {
  readonly id: string;
  readonly size: number;
  readonly numClasses: number;
  readonly classNames: readonly string[];
  /** Label of every sample, in the split's canonical order. */
  readonly labels: Int32Array;
  /** Shape of the tensors the split's loader yields (after transforms). */
  readonly imageShape: ImageShape;
}

export interface EpochOptions {
  epoch: number;
  batchSize: number;
  shuffle: boolean;
  /** Drop a last partial batch (training) or keep it (evaluation). */
  dropLast: boolean;
  /** Base seed; per-epoch order and augmentation derive from (seed, epoch). */
  seed: number;
}

export interface BatchLoader {
  readonly split: DatasetSplit;
  batchesPerEpoch(opts: Pick<EpochOptions, 'batchSize' | 'dropLast'>): number;
  /** Yields batches in order; `signal` aborts an epoch early (cancel). */
  epoch(opts: EpochOptions, signal?: AbortSignal): AsyncIterable<Batch>;
  close(): Promise<void>;
}

export interface Dataset {
  readonly kind: string;
  readonly train: BatchLoader;
  readonly val: BatchLoader;
  /**
   * The train split through the val transform: the same samples, labels and order as
   * `train`, without augmentation, deterministic. What evaluation embeds when it recomputes
   * the memory bank (the reference's test.py swaps the test transform onto the train set).
   * Created on first use; it shares the train split's pixels.
   */
  readonly trainEval: BatchLoader;
  close(): Promise<void>;
}

export function batchCount(size: number, batchSize: number, dropLast: boolean): number {
  return dropLast ? Math.floor(size / batchSize) : Math.ceil(size / batchSize);
}
