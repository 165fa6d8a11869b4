/**
 * The BatchLoader of one split: per-epoch order from (seed, epoch), batches built on the
 * executor with at most `prefetch` in flight, delivered in order. While the consumer trains
 * on one batch the next ones are being decoded, so it waits only when workers fall behind;
 * memory stays bounded by the window.
 */
import { batchCount, type Batch, type BatchLoader, type DatasetSplit, type EpochOptions } from './dataset.ts';
import type { CorruptTracker } from './corrupt-tracker.ts';
import type { BatchExecutor } from './loader-pool.ts';
import type { BatchOutput } from './loader-protocol.ts';
import { epochOrder } from './rng.ts';

/** EpochOptions plus where to start, for resuming mid-epoch from a checkpoint. */
export interface ResumableEpochOptions extends EpochOptions {
  /** Batches of this epoch's order to skip (already trained on before the checkpoint). */
  startBatch?: number;
}

export interface SplitLoaderConfig {
  readonly split: DatasetSplit;
  readonly executor: BatchExecutor;
  readonly pipelineId: number;
  /** Samples that may be scheduled, in canonical order (known-unreadable files left out). */
  readonly schedulable: Int32Array;
  /** Path of a sample, for file-backed splits. */
  readonly pathOf?: (index: number) => string;
  readonly tracker?: CorruptTracker;
  /** Batches in flight (default max(2, 2 × workers), as PyTorch's prefetch_factor = 2). */
  readonly prefetch?: number;
  readonly log?: (msg: string) => void;
}

export class SplitLoader implements BatchLoader {
  readonly split: DatasetSplit;
  private readonly prefetch: number;
  private closed = false;

  constructor(private readonly cfg: SplitLoaderConfig) {
    this.split = cfg.split;
    this.prefetch = Math.max(1, cfg.prefetch ?? Math.max(2, 2 * cfg.executor.workers));
  }

  batchesPerEpoch(opts: Pick<EpochOptions, 'batchSize' | 'dropLast'>): number {
    return batchCount(this.cfg.schedulable.length, opts.batchSize, opts.dropLast);
  }

  /** The sample order of an epoch (exposed for tests and for checkpoint bookkeeping). */
  order(opts: Pick<EpochOptions, 'shuffle' | 'seed' | 'epoch'>): Int32Array {
    return opts.shuffle ? epochOrder(this.cfg.schedulable, opts.seed, opts.epoch) : this.cfg.schedulable;
  }

  async *epoch(opts: ResumableEpochOptions, signal?: AbortSignal): AsyncGenerator<Batch> {
    if (this.closed) throw new Error(`${this.split.id}: loader is closed`);
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${opts.batchSize}`);
    const order = this.order(opts);
    const nb = batchCount(order.length, opts.batchSize, opts.dropLast);
    const first = opts.startBatch ?? 0;
    const cancel = new AbortController();
    const onOuterAbort = (): void => cancel.abort(signal?.reason);
    signal?.addEventListener('abort', onOuterAbort, { once: true });
    const window = new Map<number, Promise<BatchOutput>>();
    const indexesOf = (b: number): Int32Array => order.subarray(b * opts.batchSize, Math.min(order.length, (b + 1) * opts.batchSize));
    let scheduled = first;
    const schedule = (): void => {
      while (scheduled < nb && window.size < this.prefetch && !cancel.signal.aborted) {
        const indexes = Int32Array.from(indexesOf(scheduled));
        const paths = this.cfg.pathOf ? Array.from(indexes, (i) => (this.cfg.pathOf as (i: number) => string)(i)) : undefined;
        const p = this.cfg.executor.run({ pipelineId: this.cfg.pipelineId, indexes, paths, seed: opts.seed, epoch: opts.epoch }, cancel.signal);
        p.catch(() => undefined); // rejections are observed when awaited; avoid unhandled ones after an early exit
        window.set(scheduled, p);
        scheduled++;
      }
    };
    try {
      for (let b = first; b < nb; b++) {
        if (signal?.aborted) return;
        schedule();
        const out = await (window.get(b) as Promise<BatchOutput>);
        window.delete(b);
        if (signal?.aborted) return;
        if (out.failures.length) this.cfg.tracker?.record(out.failures);
        schedule();
        const batch = this.toBatch(indexesOf(b), out);
        if (batch.shape[0] === 0) {
          this.cfg.log?.(`${this.split.id}: batch ${b} of epoch ${opts.epoch} had no readable image and was skipped`);
          continue;
        }
        yield batch;
      }
    } finally {
      cancel.abort();
      signal?.removeEventListener('abort', onOuterAbort);
    }
  }

  private toBatch(indexes: Int32Array, out: BatchOutput): Batch {
    const n = out.kept.length;
    const [h, w, c] = this.split.imageShape;
    const idx = new Int32Array(n);
    const labels = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      const i = indexes[out.kept[k]];
      idx[k] = i;
      labels[k] = this.split.labels[i];
    }
    return { images: out.images, shape: [n, h, w, c], labels, indexes: idx };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
