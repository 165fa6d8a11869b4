/**
 * `compare.series`: the curves of many runs for the compare view. When every run's series of
 * a key is short and their x values together fit `maxPoints`, they come whole. Otherwise all
 * runs of that key are reduced on one grid of `maxPoints / 2` buckets over the x range of all
 * of them, each bucket keeping its lowest and highest point, and sent as packed slot values;
 * long series are read from their metric_blocks roll-up (the extremes of 64 to 4096
 * consecutive points) instead of every row.
 */
import { ApiError } from '../../shared/api-error.ts';
import type { GridGeometry } from '../../shared/compare-grid.ts';
import type { CompareGrid, CompareSeriesResult, CompareXAxis } from '../../shared/compare-series.ts';
import type { MetricSeries } from '../../shared/domain.ts';
import { packFloat32 } from '../../shared/packed-float32.ts';
import { METRIC_BLOCK_SIZES } from '../store/metrics-repository.ts';
import { GridReducer } from '../store/series-downsampling.ts';
import type { Store } from '../store/store.ts';

export interface CompareSeriesRequest {
  runIds: readonly string[];
  keys?: readonly string[] | undefined;
  x: CompareXAxis;
  maxPoints: number;
}

/** [step, epoch, wall time ms] */
type Coordinates = [number, number, number];

type RunOut = CompareSeriesResult['runs'][number];

export class CompareSeriesService {
  constructor(private readonly deps: { store: Store }) {}

  series(req: CompareSeriesRequest): CompareSeriesResult {
    const { metrics, runs } = this.deps.store;
    const runIds = [...new Set(req.runIds)];
    const names = new Map<string, string>();
    for (const id of runIds) {
      const run = runs.get(id);
      if (!run) throw ApiError.notFound(`Run ${id}`);
      names.set(id, run.name);
    }
    const keysOf = new Map(runIds.map((id) => [id, new Set(metrics.keys(id))]));
    const keys = req.keys ? [...new Set(req.keys)] : [...new Set(runIds.flatMap((id) => [...keysOf.get(id)!]))].sort();
    const ends = new Map<string, { first: Coordinates; last: Coordinates } | null>();
    const endsOf = (id: string, key: string) => {
      const k = `${id}\0${key}`;
      if (!ends.has(k)) ends.set(k, keysOf.get(id)!.has(key) ? metrics.endpoints(id, key) : null);
      return ends.get(k)!;
    };
    // Wall time counts from each run's first metric of any key.
    const wallStart = new Map<string, number | null>();
    for (const id of runIds) {
      const firsts = [...keysOf.get(id)!].map((key) => endsOf(id, key)?.first[2]).filter((w): w is number => w !== undefined);
      wallStart.set(id, firsts.length ? Math.min(...firsts) : null);
    }
    const xOf = (id: string, c: Coordinates) => (req.x === 'step' ? c[0] : req.x === 'epoch' ? c[1] : (c[2] - (wallStart.get(id) ?? 0)) / 1000);

    const out = new Map<string, RunOut>(runIds.map((id) => [id, { runId: id, name: names.get(id)!, wallStart: wallStart.get(id) ?? null, series: [], gridValues: [] }]));
    const grids: CompareGrid[] = [];
    for (const key of keys) {
      const present = runIds.filter((id) => endsOf(id, key) !== null);
      if (present.length === 0) continue;
      const counts = new Map(present.map((id) => [id, metrics.pointCount(id, key)]));
      const whole = Math.max(...counts.values()) <= req.maxPoints ? this.wholeIfFits(present, key, req, wallStart) : null;
      if (whole) {
        for (const id of present) out.get(id)!.series.push(whole.get(id)!);
        continue;
      }
      let lo = Infinity;
      let hi = -Infinity;
      for (const id of present) {
        const e = endsOf(id, key)!;
        lo = Math.min(lo, xOf(id, e.first), xOf(id, e.last));
        hi = Math.max(hi, xOf(id, e.first), xOf(id, e.last));
      }
      const buckets = Math.floor(req.maxPoints / 2);
      const grid: CompareGrid = { key, lo, width: hi > lo ? (hi - lo) / buckets : 1, buckets };
      grids.push(grid);
      for (const id of present) {
        const slots = this.reduce(grid, id, key, counts.get(id)!, req.x, wallStart.get(id) ?? 0);
        out.get(id)!.gridValues.push({ key, values: packFloat32(slots) });
      }
    }
    return { x: req.x, grids, runs: runIds.map((id) => out.get(id)!) };
  }

  /** Every run's whole series of `key`, when together they have at most maxPoints x values. */
  private wholeIfFits(ids: readonly string[], key: string, req: CompareSeriesRequest, wallStart: ReadonlyMap<string, number | null>): Map<string, MetricSeries> | null {
    const xs = new Set<number>();
    const out = new Map<string, MetricSeries>();
    for (const id of ids) {
      const raw = this.deps.store.metrics.seriesWithWall(id, key);
      const start = wallStart.get(id) ?? 0;
      const wall = Array.from(raw.wall, (w) => (w - start) / 1000);
      const s: MetricSeries = { key, step: Array.from(raw.step), epoch: Array.from(raw.epoch), value: Array.from(raw.value), wall };
      for (const v of req.x === 'wall' ? wall : s[req.x]) xs.add(v);
      if (xs.size > req.maxPoints) return null;
      out.set(id, s);
    }
    return out;
  }

  /**
   * One run's slot values on the grid: fed the extremes of its blocks when a block is at most
   * two buckets' worth of its points (the coarsest such level), else every point.
   */
  private reduce(grid: GridGeometry, id: string, key: string, count: number, axis: CompareXAxis, wallStart: number): Float64Array {
    const { metrics } = this.deps.store;
    const reducer = new GridReducer(grid);
    const size = [...METRIC_BLOCK_SIZES].reverse().find((s) => s <= (2 * count) / grid.buckets);
    if (size === undefined) {
      const raw = metrics.seriesWithWall(id, key);
      const xs = axis === 'step' ? raw.step : axis === 'epoch' ? raw.epoch : raw.wall.map((w) => (w - wallStart) / 1000);
      for (let i = 0; i < xs.length; i++) reducer.add(xs[i]!, raw.value[i]!);
    } else if (axis === 'wall') {
      for (const r of metrics.blockExtremes(id, key, size, axis)) {
        reducer.add((r[0] - wallStart) / 1000, r[1]);
        reducer.add((r[2] - wallStart) / 1000, r[3]);
      }
    } else {
      for (const r of metrics.blockExtremes(id, key, size, axis)) {
        reducer.add(r[0], r[1]);
        reducer.add(r[2], r[3]);
      }
    }
    return reducer.slots();
  }
}
