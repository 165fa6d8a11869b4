/**
 * A loader over a split already decoded into memory (the MNIST demo). No worker threads:
 * copying a batch out of one Float32Array costs far less than a training step.
 */
import { batchCount, type Batch, type BatchLoader, type DatasetSplit, type EpochOptions } from './dataset.ts';
import { mixSeed, seededPermutation } from './seeded-permutation.ts';

export class InMemoryLoader implements BatchLoader {
  private readonly sampleSize: number;

  constructor(
    readonly split: DatasetSplit,
    /** All samples, NHWC, normalised, in split order. */
    private readonly images: Float32Array,
  ) {
    const [h, w, c] = split.imageShape;
    this.sampleSize = h * w * c;
    if (images.length !== split.size * this.sampleSize) {
      throw new Error(`split ${split.id}: ${images.length} values for ${split.size} samples of ${this.sampleSize}`);
    }
  }

  batchesPerEpoch(opts: Pick<EpochOptions, 'batchSize' | 'dropLast'>): number {
    return batchCount(this.split.size, opts.batchSize, opts.dropLast);
  }

  /** Sample order of an epoch: shuffled from (seed, epoch), or the split order. */
  order(opts: Pick<EpochOptions, 'epoch' | 'seed' | 'shuffle'>): Int32Array {
    if (!opts.shuffle) return Int32Array.from({ length: this.split.size }, (_, i) => i);
    return seededPermutation(this.split.size, mixSeed(opts.seed, opts.epoch));
  }

  async *epoch(opts: EpochOptions, signal?: AbortSignal): AsyncIterable<Batch> {
    const order = this.order(opts);
    const n = this.batchesPerEpoch(opts);
    const [h, w, c] = this.split.imageShape;
    for (let b = 0; b < n; b++) {
      if (signal?.aborted) return;
      const start = b * opts.batchSize;
      const end = Math.min(start + opts.batchSize, this.split.size);
      const size = end - start;
      const images = new Float32Array(size * this.sampleSize);
      const labels = new Int32Array(size);
      const indexes = new Int32Array(size);
      for (let k = 0; k < size; k++) {
        const i = order[start + k]!;
        images.set(this.images.subarray(i * this.sampleSize, (i + 1) * this.sampleSize), k * this.sampleSize);
        labels[k] = this.split.labels[i]!;
        indexes[k] = i;
      }
      yield { images, shape: [size, h, w, c], labels, indexes };
    }
  }

  async close(): Promise<void> {}
}
