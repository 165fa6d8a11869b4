/**
 * Exact nearest-neighbour search of a feature bank (rows L2-normalised, so the inner
 * product is the cosine similarity), as the gallery needs it: every query against every
 * row, the k best kept per query (top-k.ts orders them, ties by lower row).
 *
 * The bank stays resident on the engine's backend as transposed chunks [D, rows], built
 * once when it is loaded. A search is then one matrix product per chunk (queries × chunk,
 * XNNPACK on wasm, a GPU kernel on webgpu/tensorflow) whose similarities are read back and
 * merged into each query's running top-k in JS: for k = 20 the merge is a threshold test
 * per value, far cheaper than the product, and it needs no sort of whole rows. The k rows
 * found are then ranked by their similarity recomputed in float64.
 *
 * Why transposed and resident: a [q, D] × [D, n] product is the layout every backend's
 * matmul takes without a copy; transposing per search (as knn.ts does for its one-off
 * evaluations) would move the whole bank through memory twice more for every query.
 *
 * Bank files are raw float32 little-endian, row-major [rows, dim], with nothing else in
 * them; the row count follows from the size, which must be a whole number of rows.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { TopK, type TopKList } from './top-k.ts';

/** Rows per resident chunk: 65536 × 128 floats is 32 MB, and one product per chunk. */
export const DEFAULT_CHUNK_ROWS = 65536;

export class BankFileError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'BankFileError';
  }
}

export class BankSearchError extends Error {
  override readonly name = 'BankSearchError';
}

/** Where a bank's rows come from: a block of `count` rows from `start`, row-major. */
type RowSource = (start: number, count: number) => Float32Array;

export class BankIndex {
  private readonly chunks: { start: number; rows: number; t: tf.Tensor2D }[] = [];
  private disposed = false;

  private constructor(
    readonly size: number,
    readonly dim: number,
    private readonly readRows: RowSource,
    private readonly release: () => void,
    chunkRows: number,
    cancelled: () => boolean,
  ) {
    for (let start = 0; start < size; start += chunkRows) {
      if (cancelled()) break;
      const rows = Math.min(chunkRows, size - start);
      const block = readRows(start, rows);
      const t = new Float32Array(rows * dim);
      for (let r = 0; r < rows; r++) {
        const o = r * dim;
        for (let d = 0; d < dim; d++) t[d * rows + r] = block[o + d]!;
      }
      this.chunks.push({ start, rows, t: tf.tensor2d(t, [dim, rows]) });
    }
  }

  /** A bank held in memory (tests, benchmarks, small banks computed on the fly). */
  static fromRows(rows: Float32Array, dim: number, opts: { chunkRows?: number } = {}): BankIndex {
    if (!Number.isInteger(dim) || dim < 1) throw new BankSearchError(`bank dimension must be a positive integer, got ${dim}`);
    if (rows.length % dim !== 0) throw new BankSearchError(`bank of ${rows.length} floats is not a whole number of rows of ${dim}`);
    const n = rows.length / dim;
    return new BankIndex(n, dim, (s, c) => rows.subarray(s * dim, (s + c) * dim), () => {}, chunkRowsOf(opts.chunkRows), () => false);
  }

  /** A bank whose rows are produced block by block (never whole in JS memory), e.g. generated. */
  static fromBlocks(size: number, dim: number, readRows: (start: number, count: number) => Float32Array, opts: { chunkRows?: number } = {}): BankIndex {
    if (!Number.isInteger(dim) || dim < 1) throw new BankSearchError(`bank dimension must be a positive integer, got ${dim}`);
    if (!Number.isInteger(size) || size < 0) throw new BankSearchError(`bank size must be a non-negative integer, got ${size}`);
    return new BankIndex(size, dim, readRows, () => {}, chunkRowsOf(opts.chunkRows), () => false);
  }

  /**
   * A bank file, read chunk by chunk (never whole into JS memory). `expectedRows`, when
   * given, must match the file. Returns 'cancelled' when `cancelled()` turns true while loading.
   */
  static fromFile(
    file: string,
    dim: number,
    opts: { chunkRows?: number; expectedRows?: number; cancelled?: () => boolean } = {},
  ): BankIndex | 'cancelled' {
    if (!Number.isInteger(dim) || dim < 1) throw new BankFileError(file, `bank dimension must be a positive integer, got ${dim}`);
    const fd = openSync(file, 'r');
    let owned = true;
    try {
      const bytes = fstatSync(fd).size;
      const rowBytes = dim * 4;
      if (bytes % rowBytes !== 0) {
        throw new BankFileError(file, `size ${bytes} bytes is not a whole number of float32 rows of ${dim} (${rowBytes} bytes); the file is truncated or not a bank of this dimension`);
      }
      const n = bytes / rowBytes;
      if (opts.expectedRows !== undefined && n !== opts.expectedRows) {
        throw new BankFileError(file, `holds ${n} rows but ${opts.expectedRows} were expected (one per train image)`);
      }
      const read: RowSource = (start, count) => {
        const out = new Float32Array(count * dim);
        const view = new Uint8Array(out.buffer);
        let done = 0;
        while (done < view.length) {
          const got = readSync(fd, view, done, view.length - done, start * rowBytes + done);
          if (got === 0) throw new BankFileError(file, `ended at byte ${start * rowBytes + done} while reading rows ${start}–${start + count - 1}`);
          done += got;
        }
        return out;
      };
      const cancelled = opts.cancelled ?? (() => false);
      const index = new BankIndex(n, dim, read, () => closeSync(fd), chunkRowsOf(opts.chunkRows), cancelled);
      owned = false;
      if (cancelled()) {
        index.dispose();
        return 'cancelled';
      }
      return index;
    } finally {
      if (owned) closeSync(fd);
    }
  }

  /** Row i of the bank (a copy). */
  row(i: number): Float32Array {
    this.checkOpen();
    if (!Number.isInteger(i) || i < 0 || i >= this.size) throw new BankSearchError(`bank row ${i} is outside [0, ${this.size})`);
    return this.readRows(i, 1).slice();
  }

  /**
   * The k most similar rows of every query (queries row-major [q, dim]), best first.
   * Exact: every row is compared; ties go to the lower row.
   */
  search(queries: Float32Array, k: number): TopKList[] {
    this.checkOpen();
    if (queries.length % this.dim !== 0) {
      throw new BankSearchError(`queries of ${queries.length} floats are not a whole number of rows of the bank's dimension ${this.dim}`);
    }
    const nq = queries.length / this.dim;
    const kEff = Math.min(k, this.size);
    if (nq === 0 || kEff === 0) return Array.from({ length: nq }, () => ({ rows: new Int32Array(0), similarities: new Float32Array(0) }));
    const tops = Array.from({ length: nq }, () => new TopK(kEff));
    const q = tf.tensor2d(queries, [nq, this.dim]);
    try {
      for (const chunk of this.chunks) {
        const product = tf.matMul(q, chunk.t);
        let sims: Float32Array;
        try {
          sims = product.dataSync() as Float32Array;
        } finally {
          product.dispose();
        }
        for (let i = 0; i < nq; i++) tops[i]!.offerRange(sims, chunk.start, i * chunk.rows, (i + 1) * chunk.rows);
      }
    } finally {
      q.dispose();
    }
    return tops.map((t, i) => this.rescore(t.sorted(), queries.subarray(i * this.dim, (i + 1) * this.dim), kEff));
  }

  /**
   * The k found rows ranked again by their similarity in float64. The float32 product can
   * put a near-duplicate a rounding error above a row's similarity with itself; recomputed
   * exactly, a bank row used as the query comes first unless another row equals it.
   */
  private rescore(list: TopKList, query: Float32Array, k: number): TopKList {
    const top = new TopK(k);
    for (const row of list.rows) {
      const v = this.readRows(row, 1);
      let s = 0;
      for (let d = 0; d < this.dim; d++) s += v[d]! * query[d]!;
      top.offer(s, row);
    }
    return top.sorted();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const c of this.chunks) c.t.dispose();
    this.chunks.length = 0;
    this.release();
  }

  private checkOpen(): void {
    if (this.disposed) throw new BankSearchError('the bank index was disposed');
  }
}

function chunkRowsOf(v: number | undefined): number {
  const rows = v ?? DEFAULT_CHUNK_ROWS;
  if (!Number.isInteger(rows) || rows < 1) throw new BankSearchError(`chunk rows must be a positive integer, got ${rows}`);
  return rows;
}
