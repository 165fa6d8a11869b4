/**
 * Reduces a metric series to at most `maxPoints` points for charts, keeping the first and
 * last points and the minimum and maximum of every bucket: a loss spike or a dip of
 * kNN accuracy survives, whereas plain striding would often drop it.
 */
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
