/**
 * Exact nearest-neighbour search of a feature bank (rows L2-normalised, so the inner
 * product is the cosine similarity), as the gallery needs it: the k best rows per query,
 * best first, ties by lower row (top-k.ts), with the similarity computed in float64.
 *
 * How: a compressed first pass, then an exact re-rank.
 * - At load the bank is coded to int8, one scale per row, with a bound per row of the error
 *   that makes (bank-codes.ts); in one streaming pass over the file, row-major, kept in a
 *   WebAssembly memory (a 1.28M × 128 bank is 164 MB of codes instead of 655 MB of floats).
 *   The float32 rows stay in the file (or the caller's array) and are read back only for
 *   the few rows re-ranked.
 * - A search runs the SIMD kernel (bank-scan-kernel.wat) over the codes in blocks of rows.
 *   For each row it has an interval [lower, upper] sure to hold the exact similarity. The k
 *   best lower ends so far (a TopK of (lower, row)) give a threshold; a row whose upper end
 *   ranks after the k-th best (lower, row) cannot be in the top k: k rows are surely at least
 *   as similar, and ahead of it on ties. Every other row is a candidate, and the candidates
 *   are ranked by their exact similarity. The result is therefore the brute-force result,
 *   bit for bit; only the work differs. For random unit vectors of 128 dimensions the
 *   intervals are about ±0.02 wide and a 1.28M-row search re-ranks a few hundred rows.
 *
 * Why not a float32 product over the bank: it moves 655 MB through memory per pass and is
 * memory-bound (about 100 ms on a 2-core VM); the codes move a quarter of that. Why our own
 * kernel: the vector-search packages on npm (usearch, faiss-node, hnswlib-node) are native
 * add-ons (an Electron rebuild per platform) whose int8 search is approximate, with no bound to
 * re-rank by; their exact search is the float32 scan again.
 *
 * Bank files are raw float32 little-endian, row-major [rows, dim], with nothing else in
 * them; the row count follows from the size, which must be a whole number of rows.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { BankScanHelper, HELPER_LANE } from './bank-scan-helper.ts';
import { BankScanKernel, PARAM_BYTES } from './bank-scan-kernel.ts';
import { firstPass, type PassPart, type RowClaim } from './bank-scan-pass.ts';
import { codeQuery, codeRow, codeStride, type QueryCode } from './bank-codes.ts';
import { TopK, type TopKList } from './top-k.ts';

/** Rows read from a bank file per block while coding it (32 MB at 128 dimensions). */
export const DEFAULT_CHUNK_ROWS = 65536;
/** Queries coded into the kernel at once; larger batches are searched in groups of this many. */
const QUERY_GROUP = 64;
/** Entries the kernel may write per call: a block's rows × its queries never exceed this. */
const OUT_CAPACITY = 131072;
/** Banks of fewer rows are scanned by the searching thread alone: waking the helper would cost about what it saves. */
const MIN_SPLIT_ROWS = 32768;
/** Rows per chunk the two threads claim (4 MB of codes at 128 dimensions). */
const CHUNK_ROWS = 32768;

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

/**
 * Where a bank's float32 rows come from: `count` rows from `start`, row-major, any block at
 * any time. The array may be reused by the next call.
 */
type RowSource = (start: number, count: number) => Float32Array;

export class BankIndex {
  private readonly kernel: BankScanKernel;
  /** The second thread of the first pass (bank-scan-helper.ts), where one can run. */
  private readonly helper: BankScanHelper | null;
  /** Rows the bound cannot cover (bank-codes.ts); compared exactly in every search. */
  private readonly irregular: number[] = [];
  private disposed = false;
  private reranked = 0;

  private constructor(
    readonly size: number,
    readonly dim: number,
    private readonly readRows: RowSource,
    private readonly release: () => void,
    chunkRows: number,
    cancelled: () => boolean,
    oneThread: boolean,
  ) {
    this.kernel = new BankScanKernel({ rows: size, dim, stride: codeStride(dim), maxQueries: QUERY_GROUP, outCapacity: OUT_CAPACITY });
    const stride = this.kernel.stride;
    const { codes, scale, res, norm } = this.kernel.bankViews();
    for (let start = 0; start < size; start += chunkRows) {
      if (cancelled()) break;
      const rows = Math.min(chunkRows, size - start);
      const block = readRows(start, rows);
      // The SIMD coder where the dimension allows (a multiple of 4), the same coding in JS otherwise.
      if (this.kernel.stageRows > 0) {
        this.kernel.codeRows(block, rows, start);
        continue;
      }
      for (let r = 0; r < rows; r++) {
        const row = start + r;
        const c = codeRow(block, r * dim, dim, codes, row * stride);
        scale[row] = c.scale;
        res[row] = c.res;
        norm[row] = c.norm;
      }
    }
    for (let row = 0; row < size; row++) if (Number.isNaN(res[row])) this.irregular.push(row);
    // Started once the bank is coded (a load that throws leaves no thread behind); searches
    // run on this thread alone until it reports ready, and never wait for its start.
    this.helper = size >= MIN_SPLIT_ROWS && !oneThread && !cancelled() ? BankScanHelper.start(this.kernel) : null;
  }

  /**
   * A bank held in memory (tests, benchmarks, small banks computed on the fly). `oneThread`
   * (here and in fromFile): no helper thread for the scan (to measure what it brings).
   */
  static fromRows(rows: Float32Array, dim: number, opts: { chunkRows?: number; oneThread?: boolean } = {}): BankIndex {
    if (!Number.isInteger(dim) || dim < 1) throw new BankSearchError(`bank dimension must be a positive integer, got ${dim}`);
    if (rows.length % dim !== 0) throw new BankSearchError(`bank of ${rows.length} floats is not a whole number of rows of ${dim}`);
    const n = rows.length / dim;
    return new BankIndex(n, dim, (s, c) => rows.subarray(s * dim, (s + c) * dim), () => {}, chunkRowsOf(opts.chunkRows), () => false, opts.oneThread ?? false);
  }

  /**
   * A bank file, read block by block (never whole into JS memory; searches read back only the
   * rows they re-rank). `expectedRows`, when given, must match the file. Returns 'cancelled'
   * when `cancelled()` turns true while loading.
   */
  static fromFile(
    file: string,
    dim: number,
    opts: { chunkRows?: number; expectedRows?: number; cancelled?: () => boolean; oneThread?: boolean } = {},
  ): BankIndex | 'cancelled' {
    if (!Number.isInteger(dim) || dim < 1) throw new BankFileError(file, `bank dimension must be a positive integer, got ${dim}`);
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (err) {
      throw new BankFileError(file, `cannot be opened (${err instanceof Error ? err.message : String(err)})`);
    }
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
      const chunkRows = chunkRowsOf(opts.chunkRows);
      // One buffer for every read: what is read is used before the next read (the load codes
      // a block, the re-rank a run of rows) or copied (row()).
      let scratch = new Float32Array(0);
      const read: RowSource = (start, count) => {
        if (scratch.length < count * dim) scratch = new Float32Array(count * dim);
        const out = scratch.subarray(0, count * dim);
        const view = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
        let done = 0;
        while (done < view.length) {
          const got = readSync(fd, view, done, view.length - done, start * rowBytes + done);
          if (got === 0) throw new BankFileError(file, `ended at byte ${start * rowBytes + done} while reading rows ${start}–${start + count - 1}`);
          done += got;
        }
        return out;
      };
      const cancelled = opts.cancelled ?? (() => false);
      const index = new BankIndex(n, dim, read, () => closeSync(fd), chunkRows, cancelled, opts.oneThread ?? false);
      owned = false;
      if (cancelled()) {
        index.dispose();
        return 'cancelled';
      }
      // The load's 32 MB block is not kept for the re-rank's few rows.
      scratch = new Float32Array(0);
      return index;
    } catch (err) {
      if (err instanceof BankFileError || err instanceof BankSearchError) throw err;
      throw new BankFileError(file, err instanceof Error ? err.message : String(err));
    } finally {
      if (owned) closeSync(fd);
    }
  }

  /** Bytes this index keeps in memory (the codes and per-row bounds). */
  get residentBytes(): number {
    return this.kernel.bytes;
  }

  /** Threads the first pass runs on now: 2 once the helper thread is ready, else 1. */
  get threads(): number {
    return this.helper?.ready ? 2 : 1;
  }

  /** Rows compared exactly so far, over all searches (the first pass's selectivity). */
  get rerankedRows(): number {
    return this.reranked;
  }

  /** Row i of the bank (a copy). */
  row(i: number): Float32Array {
    this.checkOpen();
    if (!Number.isInteger(i) || i < 0 || i >= this.size) throw new BankSearchError(`bank row ${i} is outside [0, ${this.size})`);
    return this.readRows(i, 1).slice();
  }

  /**
   * The k most similar rows of every query (queries row-major [q, dim]), best first.
   * Exact: the same rows and similarities as comparing every row in float64; ties go to the lower row.
   */
  search(queries: Float32Array, k: number): TopKList[] {
    this.checkOpen();
    if (queries.length % this.dim !== 0) {
      throw new BankSearchError(`queries of ${queries.length} floats are not a whole number of rows of the bank's dimension ${this.dim}`);
    }
    if (!Number.isInteger(k) || k < 1) throw new BankSearchError(`k must be a positive integer, got ${k}`);
    const nq = queries.length / this.dim;
    const kEff = Math.min(k, this.size);
    if (nq === 0 || kEff === 0) return Array.from({ length: nq }, () => ({ rows: new Int32Array(0), similarities: new Float32Array(0) }));
    const out: TopKList[] = [];
    for (let g = 0; g < nq; g += QUERY_GROUP) {
      const group = queries.subarray(g * this.dim, Math.min(nq, g + QUERY_GROUP) * this.dim);
      out.push(...this.searchGroup(group, kEff));
    }
    return out;
  }

  /**
   * At most QUERY_GROUP queries: the first pass over the codes (chunks of rows claimed by this
   * thread and the helper thread, when there is one), the parts' (lower, row) pairs merged,
   * then the re-rank.
   */
  private searchGroup(queries: Float32Array, k: number): TopKList[] {
    const dim = this.dim;
    const nq = queries.length / dim;
    const kernel = this.kernel;
    const { qcodes, params } = kernel.queryViews(0);
    const qStride = kernel.stride;
    const codes: QueryCode[] = [];
    for (let i = 0; i < nq; i++) {
      const c = codeQuery(queries.subarray(i * dim, (i + 1) * dim), qcodes.subarray(i * qStride, (i + 1) * qStride));
      codes.push(c);
      const p = (i * PARAM_BYTES) / 4;
      params[p] = c.scale;
      params[p + 1] = c.alpha;
      params[p + 2] = c.beta;
      params[p + 3] = c.gamma;
      // A query searched exactly is never written out by the kernel (no upper end reaches +∞).
      params[p + 4] = c.regular ? -Infinity : Infinity;
    }
    const padded = kernel.paddedRows;
    const chunks = Math.ceil(padded / CHUNK_ROWS);
    const rangeOf = (i: number) => [i * CHUNK_ROWS, Math.min(padded, (i + 1) * CHUNK_ROWS)] as const;
    const helper = this.helper;
    let shared = false;
    if (helper?.ready && padded >= MIN_SPLIT_ROWS && codes.some((c) => c.regular)) {
      const lane1 = kernel.queryViews(HELPER_LANE);
      lane1.qcodes.set(qcodes.subarray(0, nq * qStride));
      lane1.params.set(params.subarray(0, (nq * PARAM_BYTES) / 4));
      shared = helper.begin(nq, k, chunks, CHUNK_ROWS);
    }
    const mine: number[] = [];
    let next = 0;
    const claim: RowClaim = () => {
      const i = shared ? helper!.claim() : next < chunks ? next++ : -1;
      if (i < 0) return null;
      mine.push(i);
      return rangeOf(i);
    };
    let own: (PassPart | null)[];
    let helped: (PassPart | null)[] | null = null;
    // The helper claimed chunks exactly when this thread did not scan them all.
    const helperClaimed = () => shared && mine.length < chunks;
    try {
      own = firstPass(kernel, 0, nq, k, claim);
    } finally {
      // Collected even when this thread's part threw: the helper must be idle before lane 1 is written again.
      if (helperClaimed()) helped = helper!.finish();
    }
    const parts = [own];
    if (helperClaimed()) {
      if (helped) parts.push(helped);
      else {
        // The helper failed: the chunks it claimed (every one not scanned here) are scanned here;
        // lane 0's thresholds stay valid for them.
        const scanned = new Set(mine);
        const rest = Array.from({ length: chunks }, (_, i) => i).filter((i) => !scanned.has(i));
        let j = 0;
        parts.push(firstPass(kernel, 0, nq, k, () => (j < rest.length ? rangeOf(rest[j++]!) : null)));
      }
    }
    return codes.map((c, i) => {
      const query = queries.subarray(i * dim, (i + 1) * dim);
      if (!c.regular) return this.exactScan(query, k);
      const top = new TopK(k);
      for (const part of parts) {
        const p = part[i]!;
        for (let j = 0; j < p.lowerRows.length; j++) top.offer(p.lowerValues[j]!, p.lowerRows[j]!);
      }
      const rows: number[] = [];
      for (const part of parts) {
        const p = part[i]!;
        for (let j = 0; j < p.candidateRows.length; j++) {
          if (!(top.count === top.k && top.ranksAfterWorst(p.candidateUppers[j]!, p.candidateRows[j]!))) rows.push(p.candidateRows[j]!);
        }
      }
      rows.push(...this.irregular);
      return this.rerank(rows, query, k);
    });
  }

  /** The k best of `rows` by their similarity to `query` in float64, summed in dimension order. */
  private rerank(rows: readonly number[], query: Float32Array, k: number): TopKList {
    const top = new TopK(k);
    const dim = this.dim;
    this.reranked += rows.length;
    const sorted = Int32Array.from(rows).sort();
    for (let j = 0; j < sorted.length; ) {
      // Runs of consecutive rows are read as one block.
      let run = 1;
      while (j + run < sorted.length && sorted[j + run] === sorted[j]! + run && run < 256) run++;
      const block = this.readRows(sorted[j]!, run);
      for (let r = 0; r < run; r++) top.offer(dot(block, r * dim, query), sorted[j]! + r);
      j += run;
    }
    return top.sorted();
  }

  /** Every row compared in float64 (a query whose values the bound cannot cover). */
  private exactScan(query: Float32Array, k: number): TopKList {
    const top = new TopK(k);
    const dim = this.dim;
    for (let start = 0; start < this.size; start += DEFAULT_CHUNK_ROWS) {
      const count = Math.min(DEFAULT_CHUNK_ROWS, this.size - start);
      const block = this.readRows(start, count);
      for (let r = 0; r < count; r++) top.offer(dot(block, r * dim, query), start + r);
    }
    return top.sorted();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.helper?.dispose();
    this.kernel.dispose();
    this.release();
  }

  private checkOpen(): void {
    if (this.disposed) throw new BankSearchError('the bank index was disposed');
  }
}

/** The float64 inner product of block[offset, offset + q.length) and q, in dimension order. */
function dot(block: Float32Array, offset: number, q: Float32Array): number {
  let s = 0;
  for (let d = 0; d < q.length; d++) s += block[offset + d]! * q[d]!;
  return s;
}

function chunkRowsOf(v: number | undefined): number {
  const rows = v ?? DEFAULT_CHUNK_ROWS;
  if (!Number.isInteger(rows) || rows < 1) throw new BankSearchError(`chunk rows must be a positive integer, got ${rows}`);
  return rows;
}
