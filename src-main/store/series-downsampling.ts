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

/** A point that may be drawn: its x on the chosen axis and its own coordinates. */
export interface GridCandidate {
  x: number;
  value: number;
  step: number;
  epoch: number;
  wall: number;
}

export interface GridSeries {
  step: number[];
  epoch: number[];
  value: number[];
  wall: number[];
}

/** Six significant digits: far below a pixel, and a third of the JSON of a full double. */
function round6(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(6)) : v;
}

/**
 * The lowest and highest candidate of every bucket of `buckets` equal buckets over [lo, hi],
 * placed at the bucket's two fixed x positions (a quarter and three quarters across), the
 * earlier of the two first. Runs reduced with the same lo, hi and buckets share every x
 * value, so a chart of many runs joins at most 2 × buckets x values. The chosen axis's
 * array holds the bucket positions; the other arrays hold the points' own coordinates.
 */
export function gridExtremes(candidates: readonly GridCandidate[], lo: number, hi: number, buckets: number, axis: 'step' | 'epoch' | 'wall'): GridSeries {
  const n = Math.max(1, Math.floor(buckets));
  const width = hi > lo ? (hi - lo) / n : 1;
  const mins: (GridCandidate | undefined)[] = new Array(n);
  const maxs: (GridCandidate | undefined)[] = new Array(n);
  for (const c of candidates) {
    if (!Number.isFinite(c.value) || !Number.isFinite(c.x)) continue;
    const b = Math.min(n - 1, Math.max(0, Math.floor((c.x - lo) / width)));
    const mn = mins[b];
    if (!mn || c.value < mn.value) mins[b] = c;
    const mx = maxs[b];
    if (!mx || c.value > mx.value) maxs[b] = c;
  }
  const out: GridSeries = { step: [], epoch: [], value: [], wall: [] };
  for (let b = 0; b < n; b++) {
    const mn = mins[b];
    const mx = maxs[b];
    if (!mn || !mx) continue;
    const pair = mn.x <= mx.x ? [mn, mx] : [mx, mn];
    pair.forEach((c, slot) => {
      const gx = round6(lo + (b + (slot === 0 ? 0.25 : 0.75)) * width);
      out.step.push(axis === 'step' ? gx : c.step);
      out.epoch.push(axis === 'epoch' ? gx : round6(c.epoch));
      out.wall.push(axis === 'wall' ? gx : round6(c.wall));
      out.value.push(round6(c.value));
    });
  }
  return out;
}
