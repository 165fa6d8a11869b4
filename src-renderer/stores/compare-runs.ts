/**
 * Comparing 2–50 runs: every metric series in one `compare.series` call (long ones reduced on
 * the main side to the extremes of each pixel bucket of a grid shared by all runs, on the
 * chosen x axis), kept as chart columns (compare-columns.ts); their configs (for the diff and
 * grouping) and a metrics table (best, last, epoch of best through `runs.query`) load beside
 * them, so the charts are drawn as soon as the series arrive. Live points of running runs go
 * into the columns of the keys they touch, without fetching again; the series are fetched
 * again only once a grid has doubled or a whole series outgrew `maxPoints`.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { EventPayload } from '../../shared/api.ts';
import { ApiError } from '../../shared/api-error.ts';
import type { MetricPoint, MetricSeries, RunDetail } from '../../shared/domain.ts';
import type { CompareSeriesResult, CompareXAxis } from '../../shared/compare-series.ts';
import { unpackFloat32 } from '../../shared/packed-float32.ts';
import type { CellValue } from '../../shared/run-table.ts';
import { useApiClient } from '../api/client-holder.ts';
import { configDiff, runColour } from './compare-analysis.ts';
import { MAX_COMPARE_RUNS } from './navigation.ts';
import { LiveGrid, wholeColumns, type ChartColumns } from './compare-columns.ts';
import { emptySeries, mergeIntoSeries } from './run-merge.ts';

/** A refetch waits this long after the live point that asked for it (points come in bursts). */
const REFETCH_DELAY_MS = 1000;

/** Metrics the table summarises: [key, summary] in the column order shown. */
export const TABLE_METRICS = ['knn_top1', 'knn_top5', 'nn_top1', 'loss'] as const;
export const TABLE_COLUMNS = [
  ...TABLE_METRICS.flatMap((k) => [`best.${k}`, `last.${k}`, `best_epoch.${k}`]),
  'last.images_per_sec',
] as const;

export interface CompareRow {
  id: string;
  values: Record<string, CellValue>;
}

/** A query matching exactly these runs (ids are quoted: they are values, not syntax). */
export function idsQuery(ids: readonly string[]): string {
  return ids.map((id) => `id = "${id}"`).join(' or ');
}

export const useCompareRunsStore = defineStore('compareRuns', () => {
  const api = useApiClient();

  const ids = ref<string[]>([]);
  const details = shallowRef<Record<string, RunDetail>>({});
  /** Per metric key, the chart's columns. */
  const columns = shallowRef<Record<string, ChartColumns>>({});
  /** Run names as compare.series gave them (the charts need no more of a run to be drawn). */
  const names = shallowRef<Record<string, string>>({});
  const table = shallowRef<CompareRow[]>([]);
  const error = ref<ApiError | null>(null);
  const loading = ref(false);
  /** Points per series asked from the main side (about the chart width in pixels). */
  const maxPoints = ref(1200);
  /** The x axis the series were fetched for (long series are reduced on a grid of it). */
  const xAxis = ref<CompareXAxis>('step');
  /** Unix ms of each run's first metric: wall time of live points counts from it. */
  let wallStart: Record<string, number | null> = {};
  /** Keys on a grid, and per key and run the series sent whole. */
  let grids = new Map<string, LiveGrid>();
  let whole = new Map<string, Map<string, MetricSeries>>();
  /** Live points that arrive while the series are fetched, applied to the answer. */
  let pending: EventPayload<'run.metrics'>[] | null = null;
  let refetchTimer: ReturnType<typeof setTimeout> | null = null;
  let attached = false;
  let generation = 0;
  let tableTimer: ReturnType<typeof setTimeout> | null = null;

  const runs = computed(() => ids.value.map((id) => details.value[id]).filter((d): d is RunDetail => d !== undefined));
  const colours = computed(() => Object.fromEntries(ids.value.map((id, i) => [id, runColour(i)])));
  const diff = computed(() => configDiff(runs.value.map((r) => r.config)));
  const metricKeys = computed(() => Object.keys(columns.value).sort());

  async function loadTable(gen: number) {
    const answer = await api.call('runs.query', { where: idsQuery(ids.value), columns: [...TABLE_COLUMNS], limit: MAX_COMPARE_RUNS });
    if (gen !== generation) return;
    const byId = new Map(answer.rows.map((r) => [r.run.id, r]));
    table.value = ids.value.flatMap((id) => {
      const r = byId.get(id);
      if (!r) return [];
      return [{ id, values: Object.fromEntries(answer.columns.map((c, i) => [c, r.values[i] ?? null])) }];
    });
    // Summaries in the table follow the live runs too.
    const next = { ...details.value };
    for (const r of answer.rows) {
      const d = next[r.run.id];
      if (d) next[r.run.id] = { ...d, ...r.run, config: d.config };
    }
    details.value = next;
  }

  /** Seconds since the run's first metric (its first live point when the fetch saw none). */
  function wallOf(runId: string, p: MetricPoint): number {
    const start = (wallStart[runId] ??= p.wallTime);
    return (p.wallTime - start) / 1000;
  }

  function xOfPoint(runId: string, p: MetricPoint): number {
    return xAxis.value === 'wall' ? wallOf(runId, p) : p[xAxis.value];
  }

  function scheduleRefetch() {
    refetchTimer ??= setTimeout(() => {
      refetchTimer = null;
      void loadSeries(generation).catch((err: unknown) => {
        error.value = ApiError.from(err);
      });
    }, REFETCH_DELAY_MS);
  }

  /** Puts a batch of live points into the columns of the keys it touches. */
  function applyMetrics(e: EventPayload<'run.metrics'>) {
    const byKey = new Map<string, MetricPoint[]>();
    for (const p of e.points) {
      const list = byKey.get(p.key);
      if (list) list.push(p);
      else byKey.set(p.key, [p]);
    }
    const next = { ...columns.value };
    let changed = false;
    for (const [key, points] of byKey) {
      const grid = grids.get(key);
      if (grid) {
        if (!grid.append(e.runId, points.map((p) => ({ x: xOfPoint(e.runId, p), value: p.value })))) continue;
        next[key] = grid.columns;
        if (grid.buckets > 2 * grid.sentBuckets) scheduleRefetch();
      } else {
        let byRun = whole.get(key);
        if (!byRun) whole.set(key, (byRun = new Map()));
        const merged = mergeIntoSeries(byRun.get(e.runId) ?? { ...emptySeries(key), wall: [] }, points, (p) => wallOf(e.runId, p));
        byRun.set(e.runId, merged);
        next[key] = wholeColumns(byRun, xAxis.value);
        // Past the bound (x values of all runs together) the main side reduces it to a grid, keeping every bucket's extremes.
        if (next[key].x.length > maxPoints.value) scheduleRefetch();
      }
      changed = true;
    }
    if (changed) columns.value = next;
  }

  function onMetrics(e: EventPayload<'run.metrics'>) {
    if (!ids.value.includes(e.runId)) return;
    if (pending) pending.push(e);
    else applyMetrics(e);
    // The table's best/last values are re-read at most once a second while runs train.
    tableTimer ??= setTimeout(() => {
      tableTimer = null;
      void loadTable(generation).catch(() => undefined);
    }, 1000);
  }

  function onChanged(run: EventPayload<'run.changed'>) {
    const d = details.value[run.id];
    if (d) details.value = { ...details.value, [run.id]: { ...d, ...run, config: d.config } };
  }

  function attach() {
    if (attached) return;
    attached = true;
    api.on('run.metrics', onMetrics);
    api.on('run.changed', onChanged);
  }

  /** Every run's curves in one call: short series whole, long ones on a grid shared by all runs. */
  async function loadSeries(gen: number) {
    if (ids.value.length === 0) {
      columns.value = {};
      return;
    }
    if (refetchTimer) clearTimeout(refetchTimer);
    refetchTimer = null;
    pending = [];
    try {
      performance.mark('compare:series-request');
      const answer = await api.call('compare.series', { runIds: ids.value, x: xAxis.value, maxPoints: maxPoints.value });
      if (gen !== generation) return;
      performance.mark('compare:series-answer');
      adopt(answer);
      const queued = pending ?? [];
      pending = null;
      for (const e of queued) applyMetrics(e);
      performance.mark('compare:series-columns');
    } finally {
      if (gen === generation) pending = null;
    }
  }

  /** Takes a compare.series answer as the new state of every chart. */
  function adopt(answer: CompareSeriesResult) {
    wallStart = Object.fromEntries(answer.runs.map((r) => [r.runId, r.wallStart]));
    names.value = Object.fromEntries(answer.runs.map((r) => [r.runId, r.name]));
    grids = new Map();
    whole = new Map();
    for (const g of answer.grids) {
      const values = new Map<string, Float32Array>();
      for (const r of answer.runs) {
        const packed = r.gridValues.find((v) => v.key === g.key);
        if (packed) values.set(r.runId, unpackFloat32(packed.values));
      }
      grids.set(g.key, new LiveGrid(g, values));
    }
    for (const r of answer.runs) {
      for (const s of r.series) {
        let byRun = whole.get(s.key);
        if (!byRun) whole.set(s.key, (byRun = new Map()));
        byRun.set(r.runId, s);
      }
    }
    const next: Record<string, ChartColumns> = {};
    for (const [key, grid] of grids) next[key] = grid.columns;
    for (const [key, byRun] of whole) next[key] = wholeColumns(byRun, answer.x);
    columns.value = next;
  }

  /** Another x axis: the series are fetched again, reduced on that axis's grid. */
  async function setXAxis(x: CompareXAxis) {
    if (x === xAxis.value) return;
    xAxis.value = x;
    try {
      await loadSeries(generation);
    } catch (err) {
      error.value = ApiError.from(err);
    }
  }

  /** Loads the runs to compare (at most MAX_COMPARE_RUNS). */
  async function load(nextIds: readonly string[], points = maxPoints.value) {
    attach();
    const gen = ++generation;
    ids.value = [...new Set(nextIds)].slice(0, MAX_COMPARE_RUNS);
    maxPoints.value = Math.max(100, Math.min(20_000, Math.round(points)));
    loading.value = true;
    error.value = null;
    try {
      // The series are asked first: the charts need nothing else, and the browser sends a few requests at a time.
      const seriesLoaded = loadSeries(gen);
      const detailList = await Promise.all(ids.value.map((id) => api.call('runs.get', { id })));
      if (gen !== generation) return;
      details.value = Object.fromEntries(detailList.map((d) => [d.id, d]));
      await Promise.all([seriesLoaded, loadTable(gen)]);
    } catch (err) {
      if (gen === generation) error.value = ApiError.from(err);
    } finally {
      if (gen === generation) loading.value = false;
    }
  }

  /** The full (not downsampled) series and config of one run, as the CSV `runs.export` writes. */
  async function exportFull(id: string) {
    return api.call('runs.export', { id, format: 'csv' });
  }

  /** The best (else latest) checkpoint of each of the first four runs that have one. */
  async function bestCheckpoints(): Promise<number[]> {
    const out: number[] = [];
    for (const id of ids.value) {
      if (out.length === 4) break;
      const list = await api.call('runs.checkpoints', { id });
      const pick = list.find((c) => c.kind === 'best') ?? list.find((c) => c.kind === 'latest');
      if (pick) out.push(pick.id);
    }
    return out;
  }

  return { ids, details, names, columns, table, error, loading, maxPoints, xAxis, runs, colours, diff, metricKeys, load, setXAxis, exportFull, bestCheckpoints };
});
