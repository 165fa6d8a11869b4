/**
 * The k best (similarity, bank row) pairs of a stream, for exact nearest-neighbour search.
 *
 * Order: higher similarity first; equal similarities by lower row first. That order is
 * total, so the result does not depend on the order rows are offered in or on how the bank
 * was chunked: merging partial lists gives what one pass over the whole bank gives.
 * NaN similarities are never kept (a NaN row of a corrupt bank must not crowd out real hits).
 */

export interface TopKList {
  /** Bank rows, best first. */
  readonly rows: Int32Array;
  readonly similarities: Float32Array;
}

/** true when (sa, ra) ranks before (sb, rb). */
export function ranksBefore(sa: number, ra: number, sb: number, rb: number): boolean {
  return sa > sb || (sa === sb && ra < rb);
}

/** A bounded min-heap of the k best pairs seen; its root is the worst kept pair. */
export class TopK {
  private readonly sims: Float64Array;
  private readonly rows: Int32Array;
  private size = 0;

  constructor(readonly k: number) {
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`top-k: k must be a positive integer, got ${k}`);
    this.sims = new Float64Array(k);
    this.rows = new Int32Array(k);
  }

  get count(): number {
    return this.size;
  }

  /** Similarity a new row must reach to be considered (−Infinity until k rows are kept). */
  get threshold(): number {
    return this.size < this.k ? -Infinity : this.sims[0]!;
  }

  /** true when the worst kept pair ranks before (similarity, row): k kept pairs rank before it. */
  ranksAfterWorst(similarity: number, row: number): boolean {
    return this.size > 0 && ranksBefore(this.sims[0]!, this.rows[0]!, similarity, row);
  }

  offer(similarity: number, row: number): void {
    if (similarity !== similarity) return;
    if (this.size < this.k) {
      let i = this.size++;
      // Sift up: the parent must rank after (be worse than) the child.
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!ranksBefore(this.sims[p]!, this.rows[p]!, similarity, row)) break;
        this.sims[i] = this.sims[p]!;
        this.rows[i] = this.rows[p]!;
        i = p;
      }
      this.sims[i] = similarity;
      this.rows[i] = row;
      return;
    }
    if (!ranksBefore(similarity, row, this.sims[0]!, this.rows[0]!)) return;
    // Replace the root and sift down towards the worse child.
    let i = 0;
    const n = this.size;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const worse = r < n && ranksBefore(this.sims[l]!, this.rows[l]!, this.sims[r]!, this.rows[r]!) ? r : l;
      if (!ranksBefore(similarity, row, this.sims[worse]!, this.rows[worse]!)) break;
      this.sims[i] = this.sims[worse]!;
      this.rows[i] = this.rows[worse]!;
      i = worse;
    }
    this.sims[i] = similarity;
    this.rows[i] = row;
  }

  /**
   * Offers every value of `values` (row `firstRow + j` for values[j]); the threshold test
   * keeps the common case (a value worse than the k-th) to one comparison.
   */
  offerRange(values: ArrayLike<number>, firstRow: number, start = 0, end = values.length): void {
    let threshold = this.threshold;
    for (let j = start; j < end; j++) {
      const v = values[j]!;
      if (v >= threshold) {
        this.offer(v, firstRow + j - start);
        threshold = this.threshold;
      }
    }
  }

  /** The kept pairs, best first. */
  sorted(): TopKList {
    const order = Array.from({ length: this.size }, (_, i) => i).sort((a, b) =>
      ranksBefore(this.sims[a]!, this.rows[a]!, this.sims[b]!, this.rows[b]!) ? -1 : 1,
    );
    return {
      rows: Int32Array.from(order, (i) => this.rows[i]!),
      similarities: Float32Array.from(order, (i) => this.sims[i]!),
    };
  }
}

/** The k best pairs of several partial lists (each from a disjoint part of the bank). */
export function mergeTopK(lists: readonly TopKList[], k: number): TopKList {
  const top = new TopK(k);
  for (const list of lists) {
    for (let i = 0; i < list.rows.length; i++) top.offer(list.similarities[i]!, list.rows[i]!);
  }
  return top.sorted();
}
