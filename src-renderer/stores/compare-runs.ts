/**
 * Comparing 2–50 runs: their configs (for the diff and grouping), every metric series
 * in one `compare.series` call (long ones reduced on the main side to the extremes of each
 * pixel bucket of a grid shared by all runs, on the chosen x axis), and a metrics table (best,
 * last, epoch of best through `runs.query`). Live points of running runs are merged as
 * they arrive, so their curves keep growing.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { EventPayload } from '../../shared/api.ts';
import { ApiError } from '../../shared/api-error.ts';
import type { MetricSeries, RunDetail } from '../../shared/domain.ts';
import type { CompareXAxis } from '../../shared/compare-series.ts';
import type { CellValue } from '../../shared/run-table.ts';
import { useApiClient } from '../api/client-holder.ts';
import { configDiff, runColour } from './compare-analysis.ts';
import { MAX_COMPARE_RUNS } from './navigation.ts';
import { mergeMetricPoints, seriesFromList } from './run-merge.ts';

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
  const series = shallowRef<Record<string, Record<string, MetricSeries>>>({});
  const table = shallowRef<CompareRow[]>([]);
  const error = ref<ApiError | null>(null);
  const loading = ref(false);
  /** Points per series asked from the main side (about the chart width in pixels). */
  const maxPoints = ref(1200);
  /** The x axis the series were fetched for (long series are reduced on a grid of it). */
  const xAxis = ref<CompareXAxis>('step');
  /** Unix ms of each run's first metric: wall time of live points counts from it. */
  let wallStart: Record<string, number | null> = {};
  let attached = false;
  let generation = 0;
  let tableTimer: ReturnType<typeof setTimeout> | null = null;

  const runs = computed(() => ids.value.map((id) => details.value[id]).filter((d): d is RunDetail => d !== undefined));
  const colours = computed(() => Object.fromEntries(ids.value.map((id, i) => [id, runColour(i)])));
  const diff = computed(() => configDiff(runs.value.map((r) => r.config)));
  const metricKeys = computed(() => {
    const keys = new Set<string>();
    for (const byKey of Object.values(series.value)) for (const k of Object.keys(byKey)) keys.add(k);
    return [...keys].sort();
  });

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

  function onMetrics(e: EventPayload<'run.metrics'>) {
    const current = series.value[e.runId];
    if (!current || !ids.value.includes(e.runId)) return;
    const start = wallStart[e.runId] ?? e.points[0]?.wallTime ?? 0;
    wallStart[e.runId] = start;
    series.value = { ...series.value, [e.runId]: mergeMetricPoints(current, e.points, maxPoints.value, (p) => (p.wallTime - start) / 1000) };
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
      series.value = {};
      return;
    }
    const answer = await api.call('compare.series', { runIds: ids.value, x: xAxis.value, maxPoints: maxPoints.value });
    if (gen !== generation) return;
    wallStart = Object.fromEntries(answer.runs.map((r) => [r.runId, r.wallStart]));
    series.value = Object.fromEntries(answer.runs.map((r) => [r.runId, seriesFromList(r.series)]));
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
      const [detailList] = await Promise.all([Promise.all(ids.value.map((id) => api.call('runs.get', { id }))), loadSeries(gen)]);
      if (gen !== generation) return;
      details.value = Object.fromEntries(detailList.map((d) => [d.id, d]));
      await loadTable(gen);
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

  return { ids, details, series, table, error, loading, maxPoints, xAxis, runs, colours, diff, metricKeys, load, setXAxis, exportFull, bestCheckpoints };
});
