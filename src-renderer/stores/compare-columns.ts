/**
 * The data of one compare chart as uPlot draws it: one x column shared by every run and one
 * y column per run (null where the run has no point). A key the main side reduced to a grid
 * (shared/compare-grid.ts) stays a grid here: live points of running runs go into their
 * bucket, or into new buckets past the end, so a curve grows without fetching or aligning
 * every run again. Keys sent whole are aligned on the union of their x values.
 */
import { markRaw } from 'vue';
import { appendToBucket, bucketOf, gridXs, type GridGeometry } from '../../shared/compare-grid.ts';
import type { MetricSeries } from '../../shared/domain.ts';
import { alignSeries } from '../components/chart-data.ts';

export interface ChartColumns {
  x: number[];
  /** By run id; every column as long as x. */
  ys: Readonly<Record<string, (number | null)[]>>;
}

function column(values: Float32Array | Float64Array, length: number): (number | null)[] {
  const out: (number | null)[] = new Array(length).fill(null);
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!)) out[i] = values[i]!;
  return out;
}

/** Columns are handed to Vue unobserved: tens of thousands of numbers need no reactivity. */
function frozen(c: ChartColumns): ChartColumns {
  return markRaw(c);
}

/** One key's grid with every run's slot values, growing past its end as live runs go on. */
export class LiveGrid {
  private geometry: GridGeometry;
  /** The bucket count the main side sent: the grid is fetched again once it has doubled. */
  readonly sentBuckets: number;
  private readonly values = new Map<string, Float64Array>();
  private current: ChartColumns;

  constructor(grid: GridGeometry, values: ReadonlyMap<string, Float32Array>) {
    this.geometry = { lo: grid.lo, width: grid.width, buckets: grid.buckets };
    this.sentBuckets = grid.buckets;
    for (const [id, v] of values) this.values.set(id, Float64Array.from(v));
    const ys: Record<string, (number | null)[]> = {};
    for (const [id, v] of this.values) ys[id] = column(v, v.length);
    this.current = frozen({ x: gridXs(this.geometry), ys });
  }

  get buckets(): number {
    return this.geometry.buckets;
  }

  get columns(): ChartColumns {
    return this.current;
  }

  /**
   * Adds a run's live points (x on the grid's axis, in x order, later than what it has);
   * returns whether the chart changed. Only that run's column is rebuilt, unless the grid grew.
   */
  append(runId: string, points: readonly { x: number; value: number }[]): boolean {
    let v = this.values.get(runId);
    let grew = false;
    let changed = false;
    for (const p of points) {
      if (!Number.isFinite(p.x) || !Number.isFinite(p.value)) continue;
      const b = bucketOf(this.geometry, p.x);
      if (b >= this.geometry.buckets) {
        this.geometry = { ...this.geometry, buckets: b + 1 };
        grew = true;
      }
      if (!v || v.length < 2 * this.geometry.buckets) {
        v = this.grow(runId, v);
      }
      changed = appendToBucket(v, b, p.value) || changed;
    }
    if (!changed && !grew) return false;
    const length = 2 * this.geometry.buckets;
    const ys: Record<string, (number | null)[]> = {};
    for (const [id, values] of this.values) {
      const old = this.current.ys[id];
      if (id !== runId && old && old.length === length) ys[id] = old;
      else ys[id] = column(values.subarray(0, length), length);
    }
    this.current = frozen({ x: grew ? gridXs(this.geometry) : this.current.x, ys });
    return true;
  }

  private grow(runId: string, old: Float64Array | undefined): Float64Array {
    // A quarter more than needed: a live run adds buckets one by one.
    const next = new Float64Array(2 * Math.ceil(this.geometry.buckets * 1.25)).fill(Number.NaN);
    if (old) next.set(old);
    this.values.set(runId, next);
    // Other runs keep their arrays: their missing tail reads as empty buckets.
    return next;
  }
}

/** Columns of a key sent whole: x is the union of the runs' x values. */
export function wholeColumns(byRun: ReadonlyMap<string, MetricSeries>, axis: 'step' | 'epoch' | 'wall'): ChartColumns {
  const ids = [...byRun.keys()];
  const aligned = alignSeries(ids.map((id) => byRun.get(id)), axis);
  return frozen({ x: aligned[0], ys: Object.fromEntries(ids.map((id, i) => [id, aligned[i + 1]!])) });
}
