/**
 * `compare.series`: the curves of many runs for the compare view. When every run's series of
 * a key is short and their x values together fit `maxPoints`, they come whole. Otherwise all
 * runs of that key are reduced on one grid of `maxPoints / 2` buckets over the x range of all
 * of them, each bucket keeping its lowest and highest point; long series are read from their
 * metric_blocks roll-up (the extremes of 64 or 4096 consecutive points) instead of every row.
 */
import { ApiError } from '../../shared/api-error.ts';
import type { CompareSeriesResult, CompareXAxis } from '../../shared/compare-series.ts';
import type { MetricSeries } from '../../shared/domain.ts';
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

export class CompareSeriesService {
  constructor(private readonly deps: { store: Store }) {}

  series(req: CompareSeriesRequest): CompareSeriesResult {
    const { metrics, runs } = this.deps.store;
    const runIds = [...new Set(req.runIds)];
    for (const id of runIds) if (!runs.get(id)) throw ApiError.notFound(`Run ${id}`);
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

    const out = new Map<string, MetricSeries[]>(runIds.map((id) => [id, []]));
    const gridKeys: string[] = [];
    for (const key of keys) {
      const present = runIds.filter((id) => endsOf(id, key) !== null);
      if (present.length === 0) continue;
      const counts = new Map(present.map((id) => [id, metrics.pointCount(id, key)]));
      const whole = Math.max(...counts.values()) <= req.maxPoints ? this.wholeIfFits(present, key, req, wallStart) : null;
      if (whole) {
        for (const id of present) out.get(id)!.push(whole.get(id)!);
        continue;
      }
      gridKeys.push(key);
      let lo = Infinity;
      let hi = -Infinity;
      for (const id of present) {
        const e = endsOf(id, key)!;
        lo = Math.min(lo, xOf(id, e.first), xOf(id, e.last));
        hi = Math.max(hi, xOf(id, e.first), xOf(id, e.last));
      }
      const buckets = Math.floor(req.maxPoints / 2);
      for (const id of present) {
        const grid = new GridReducer(lo, hi, buckets, req.x);
        this.reduce(grid, id, key, counts.get(id)!, buckets, req.x, wallStart.get(id) ?? 0);
        const g = grid.result();
        // Wall times travel only for the wall axis: a quarter less to send and parse.
        out.get(id)!.push(req.x === 'wall' ? { key, step: g.step, epoch: g.epoch, value: g.value, wall: g.wall } : { key, step: g.step, epoch: g.epoch, value: g.value });
      }
    }
    return { x: req.x, gridKeys, runs: runIds.map((id) => ({ runId: id, wallStart: wallStart.get(id) ?? null, series: out.get(id)! })) };
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
   * Feeds one run's points to the grid: the extremes of its blocks when a block is at most
   * two buckets' worth of its points (the coarsest such level), else every point.
   */
  private reduce(grid: GridReducer, id: string, key: string, count: number, buckets: number, axis: CompareXAxis, wallStart: number): void {
    const { metrics } = this.deps.store;
    const size = [...METRIC_BLOCK_SIZES].reverse().find((s) => s <= (2 * count) / buckets);
    const add = (step: number, epoch: number, value: number, wallMs: number) => {
      const wall = (wallMs - wallStart) / 1000;
      grid.add(axis === 'step' ? step : axis === 'epoch' ? epoch : wall, value, step, epoch, wall);
    };
    if (size === undefined) {
      const raw = metrics.seriesWithWall(id, key);
      for (let i = 0; i < raw.step.length; i++) add(raw.step[i]!, raw.epoch[i]!, raw.value[i]!, raw.wall[i]!);
      return;
    }
    for (const r of metrics.blockRows(id, key, size)) {
      add(r[2]!, r[3]!, r[1]!, r[4]!);
      add(r[6]!, r[7]!, r[5]!, r[8]!);
    }
  }
}
