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
 * The lowest and highest point of every bucket of `buckets` equal buckets over [lo, hi],
 * fed one point at a time (no per-point objects: long series arrive as block extremes), then
 * placed at the bucket's two fixed x positions (a quarter and three quarters across), the
 * earlier of the two first. Runs reduced with the same lo, hi and buckets share every x
 * value, so a chart of many runs joins at most 2 × buckets x values. The chosen axis's array
 * holds the bucket positions; the other arrays hold the points' own coordinates.
 */
export class GridReducer {
  private readonly n: number;
  private readonly width: number;
  /** Per bucket and extreme (min at 2b, max at 2b+1): x, value, step, epoch, wall; NaN value = empty. */
  private readonly x: Float64Array;
  private readonly value: Float64Array;
  private readonly step: Float64Array;
  private readonly epoch: Float64Array;
  private readonly wall: Float64Array;

  constructor(
    private readonly lo: number,
    hi: number,
    buckets: number,
    private readonly axis: 'step' | 'epoch' | 'wall',
  ) {
    this.n = Math.max(1, Math.floor(buckets));
    this.width = hi > lo ? (hi - lo) / this.n : 1;
    this.x = new Float64Array(2 * this.n);
    this.value = new Float64Array(2 * this.n).fill(Number.NaN);
    this.step = new Float64Array(2 * this.n);
    this.epoch = new Float64Array(2 * this.n);
    this.wall = new Float64Array(2 * this.n);
  }

  add(x: number, value: number, step: number, epoch: number, wall: number): void {
    if (!Number.isFinite(value) || !Number.isFinite(x)) return;
    const b = Math.min(this.n - 1, Math.max(0, Math.floor((x - this.lo) / this.width)));
    const mn = 2 * b;
    const cur = this.value[mn]!;
    if (Number.isNaN(cur) || value < cur) this.set(mn, x, value, step, epoch, wall);
    const mx = mn + 1;
    const curMax = this.value[mx]!;
    if (Number.isNaN(curMax) || value > curMax) this.set(mx, x, value, step, epoch, wall);
  }

  private set(i: number, x: number, value: number, step: number, epoch: number, wall: number): void {
    this.x[i] = x;
    this.value[i] = value;
    this.step[i] = step;
    this.epoch[i] = epoch;
    this.wall[i] = wall;
  }

  result(): GridSeries {
    const out: GridSeries = { step: [], epoch: [], value: [], wall: [] };
    for (let b = 0; b < this.n; b++) {
      if (Number.isNaN(this.value[2 * b]!)) continue;
      const first = this.x[2 * b]! <= this.x[2 * b + 1]! ? 2 * b : 2 * b + 1;
      for (const [slot, i] of [first, first === 2 * b ? 2 * b + 1 : 2 * b].entries()) {
        const gx = round6(this.lo + (b + (slot === 0 ? 0.25 : 0.75)) * this.width);
        out.step.push(this.axis === 'step' ? gx : this.step[i]!);
        out.epoch.push(this.axis === 'epoch' ? gx : round6(this.epoch[i]!));
        out.wall.push(this.axis === 'wall' ? gx : round6(this.wall[i]!));
        out.value.push(round6(this.value[i]!));
      }
    }
    return out;
  }
}

/** GridReducer over a list of points. */
export function gridExtremes(candidates: readonly GridCandidate[], lo: number, hi: number, buckets: number, axis: 'step' | 'epoch' | 'wall'): GridSeries {
  const g = new GridReducer(lo, hi, buckets, axis);
  for (const c of candidates) g.add(c.x, c.value, c.step, c.epoch, c.wall);
  return g.result();
}
