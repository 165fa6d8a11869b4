/**
 * Reduces a metric series to at most `maxPoints` points for charts, keeping the first and
 * last points and the minimum and maximum of every bucket: a loss spike or a dip of
 * kNN accuracy survives, whereas plain striding would often drop it.
 */
import { bucketOf, type GridGeometry } from '../../shared/compare-grid.ts';

export interface SeriesColumns {
  step: ArrayLike<number>;
  epoch: ArrayLike<number>;
  value: ArrayLike<number>;
}

export interface SeriesArrays {
  step: number[];
  epoch: number[];
  value: number[];
}

/** Indexes (ascending) of the points to keep. */
export function minMaxIndexes(value: ArrayLike<number>, maxPoints: number): number[] {
  const n = value.length;
  const budget = Math.max(2, Math.floor(maxPoints));
  if (n <= budget) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [0];
  const inner = n - 2; // points 1 .. n-2 are bucketed; first and last are always kept
  const buckets = Math.floor((budget - 2) / 2);
  for (let b = 0; b < buckets; b++) {
    const start = 1 + Math.floor((b * inner) / buckets);
    const end = 1 + Math.floor(((b + 1) * inner) / buckets);
    if (end <= start) continue;
    let lo = start;
    let hi = start;
    for (let i = start + 1; i < end; i++) {
      if (value[i]! < value[lo]!) lo = i;
      if (value[i]! > value[hi]!) hi = i;
    }
    if (lo === hi) out.push(lo);
    else if (lo < hi) out.push(lo, hi);
    else out.push(hi, lo);
  }
  out.push(n - 1);
  return out;
}

export function downsampleSeries(series: SeriesColumns, maxPoints: number): SeriesArrays {
  const keep = minMaxIndexes(series.value, maxPoints);
  return {
    step: keep.map((i) => series.step[i]!),
    epoch: keep.map((i) => series.epoch[i]!),
    value: keep.map((i) => series.value[i]!),
  };
}

/**
 * The lowest and highest point of every bucket of a grid (shared/compare-grid.ts), fed one
 * point at a time in any order (no per-point objects: long series arrive as block extremes).
 * `slots()` gives each bucket's two values, the earlier point's first, NaN where empty.
 * Runs reduced on the same grid share every x value, so a chart of many runs joins at most
 * 2 × buckets x values, and the output is bounded whatever the input.
 */
export class GridReducer {
  /** Per bucket and extreme (min at 2b, max at 2b + 1): the point's x and value; NaN value = empty. */
  private readonly x: Float64Array;
  private readonly value: Float64Array;

  constructor(private readonly grid: GridGeometry) {
    this.x = new Float64Array(2 * grid.buckets);
    this.value = new Float64Array(2 * grid.buckets).fill(Number.NaN);
  }

  add(x: number, value: number): void {
    if (!Number.isFinite(value) || !Number.isFinite(x)) return;
    const mn = 2 * Math.min(this.grid.buckets - 1, bucketOf(this.grid, x));
    const cur = this.value[mn]!;
    if (Number.isNaN(cur) || value < cur) {
      this.x[mn] = x;
      this.value[mn] = value;
    }
    const mx = mn + 1;
    const curMax = this.value[mx]!;
    if (Number.isNaN(curMax) || value > curMax) {
      this.x[mx] = x;
      this.value[mx] = value;
    }
  }

  slots(): Float64Array {
    const out = new Float64Array(this.value.length);
    for (let i = 0; i < out.length; i += 2) {
      const minFirst = this.x[i]! <= this.x[i + 1]!;
      out[i] = this.value[minFirst ? i : i + 1]!;
      out[i + 1] = this.value[minFirst ? i + 1 : i]!;
    }
    return out;
  }
}
