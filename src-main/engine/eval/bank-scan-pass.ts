/**
 * The first pass of a search over the rows a thread claims, on its lane of the scan kernel
 * (bank-search.ts explains the search; bank-scan-helper.ts runs a second thread).
 *
 * The lane's query codes and parameters are already written (bank-codes.ts); a query whose
 * threshold parameter starts at +∞ is searched exactly elsewhere and skipped here. For each
 * other query the pass keeps the k best (lower, row) pairs of its part (a TopK) and feeds their
 * k-th lower end back to the kernel as the threshold after every block, and it keeps every row
 * written out whose (upper, row) does not rank after that k-th pair when it arrives.
 * A row it drops has k rows of the part surely at least as similar and ahead of it on ties,
 * so it is not in the bank's top k either; the caller merges the parts' pairs and filters
 * the candidates again against the merged k-th pair.
 */
import { PARAM_BYTES, type BankScanKernel } from './bank-scan-kernel.ts';
import { TopK } from './top-k.ts';

/** Rows per kernel call for one query: a few calls, each tightening the threshold. */
const SINGLE_BLOCK_ROWS = 65536;
/** The first block is small: until k lower ends are known every row is written out. */
const FIRST_BLOCK_ROWS = 1024;
/** Bytes of codes per kernel call for several queries: the block stays in L2 while each query reads it. */
const BATCH_BLOCK_BYTES = 256 * 1024;

/** One query's result over a part of the rows. */
export interface PassPart {
  /** The part's k best (lower, row) pairs (fewer when the part has fewer rows). */
  lowerRows: Int32Array;
  lowerValues: Float64Array;
  /** Rows written out and not yet excluded, with their upper ends. */
  candidateRows: Int32Array;
  candidateUppers: Float32Array;
}

/** Where a pass takes its rows from: the next range [start, end) (multiples of 4), or null when none is left. */
export type RowClaim = () => readonly [number, number] | null;

/** Rows [start, end) as one claim. */
export function rowRange(start: number, end: number): RowClaim {
  let taken = false;
  return () => {
    if (taken || start >= end) return null;
    taken = true;
    return [start, end];
  };
}

/**
 * Runs queries [0, nq) of `lane` over the rows `claim` hands out until it hands out none;
 * null for a query skipped. No row is claimed when every query is skipped.
 */
export function firstPass(kernel: BankScanKernel, lane: number, nq: number, k: number, claim: RowClaim): (PassPart | null)[] {
  const { params } = kernel.queryViews(lane);
  const slot = (q: number) => (q * PARAM_BYTES) / 4 + 4;
  const regular = Array.from({ length: nq }, (_, q) => params[slot(q)] !== Infinity);
  const lowers = regular.map(() => new TopK(k));
  const rows = regular.map(() => [] as number[]);
  const uppers = regular.map(() => [] as number[]);
  if (regular.some(Boolean)) {
    const batchRows = Math.max(4, Math.floor(Math.min(BATCH_BLOCK_BYTES / kernel.stride, kernel.outCapacity / nq) / 4) * 4);
    let blockRows = nq === 1 ? FIRST_BLOCK_ROWS : batchRows;
    for (let range = claim(); range; range = claim()) {
      const end = range[1];
      for (let from = range[0]; from < end; ) {
        const to = Math.min(end, from + blockRows);
        const written = kernel.scan(from, to, nq, lane);
        const { ints, floats } = kernel.outViews(written, lane);
        for (let e = 0; e < written; e++) {
          const q = ints[e * 4]!;
          const row = ints[e * 4 + 1]!;
          const upper = floats[e * 4 + 3]!;
          const top = lowers[q]!;
          top.offer(floats[e * 4 + 2]!, row);
          if (top.count === top.k && top.ranksAfterWorst(upper, row)) continue;
          rows[q]!.push(row);
          uppers[q]!.push(upper);
        }
        for (let q = 0; q < nq; q++) if (regular[q]) params[slot(q)] = lowers[q]!.threshold;
        from = to;
        if (nq === 1) blockRows = SINGLE_BLOCK_ROWS;
      }
    }
  }
  return regular.map((r, q) => {
    if (!r) return null;
    const kept = lowers[q]!.sorted();
    return {
      lowerRows: kept.rows,
      lowerValues: Float64Array.from(kept.similarities),
      candidateRows: Int32Array.from(rows[q]!),
      candidateUppers: Float32Array.from(uppers[q]!),
    };
  });
}
