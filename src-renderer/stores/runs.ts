/**
 * Runs: the list (paged: the newest runs and every active one, more on demand), one run's detail, its series, log tail and live progress. Events are
 * subscribed once (attach); metric points and log lines that arrive while a fetch is in
 * flight are buffered and merged after it, so nothing is lost and nothing is doubled.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { EventPayload } from '../../shared/api.ts';
import { ApiError } from '../../shared/api-error.ts';
import type { LogEntry, MetricPoint, MetricSeries, Progress, RunDetail, RunSummary } from '../../shared/domain.ts';
import type { RunConfig } from '../../shared/run-config.ts';
import { compareRunsNewestFirst, type RunsListCursor } from '../../shared/runs-list.ts';
import { useApiClient } from '../api/client-holder.ts';
import { appendLogs, laterSnapshot, mergeMetricPoints, mergeRunList, seriesFromList, upsertRun } from './run-merge.ts';

/** Points per series asked from runs.metrics and kept while live points arrive. */
export const SERIES_MAX_POINTS = 2000;
/** Log lines kept per run. */
export const LOG_TAIL = 500;
const LOG_PAGE = 5000;
const LOG_MAX_PAGES = 40;

export const useRunsStore = defineStore('runs', () => {
  const api = useApiClient();

  const runs = ref<RunSummary[]>([]);
  const listLoaded = ref(false);
  const listLoading = ref(false);
  const listError = ref<ApiError | null>(null);
  /** Where the loaded pages end (null: at the oldest run); older runs known from events or details are not listed. */
  const listNext = ref<RunsListCursor | null>(null);
  /** All stored runs, as the last page said, kept up with created and removed runs. */
  const listTotal = ref(0);
  const listLoadingMore = ref(false);

  const details = shallowRef<Record<string, RunDetail>>({});
  const detailErrors = shallowRef<Record<string, ApiError>>({});
  const progress = shallowRef<Record<string, Progress>>({});
  const series = shallowRef<Record<string, Record<string, MetricSeries>>>({});
  const logs = shallowRef<Record<string, LogEntry[]>>({});
  const selectedId = ref<string | null>(null);

  // buffers for fetches in flight (not reactive: nobody renders them)
  const pendingPoints = new Map<string, MetricPoint[]>();
  const pendingLogs = new Map<string, LogEntry[]>();
  let attached = false;

  /** What the runs list shows: the loaded pages, newest first, and every queued or running run. */
  const listedRuns = computed(() => {
    const end = listNext.value;
    if (!end) return runs.value;
    return runs.value.filter((r) => r.status === 'queued' || r.status === 'running' || compareRunsNewestFirst(r, end) <= 0);
  });

  const selectedSummary = computed(() => runs.value.find((r) => r.id === selectedId.value) ?? null);
  const selectedDetail = computed(() => (selectedId.value ? details.value[selectedId.value] ?? null : null));

  function summaryOf(id: string): RunSummary | null {
    return runs.value.find((r) => r.id === id) ?? details.value[id] ?? null;
  }

  function applySummary(run: RunSummary) {
    const newest = runs.value[0];
    // A run newer than every known one is a new run; an older one unseen so far is only now loaded.
    if (listLoaded.value && !runs.value.some((r) => r.id === run.id) && (!newest || compareRunsNewestFirst(run, newest) < 0)) listTotal.value++;
    runs.value = upsertRun(runs.value, run);
    const d = details.value[run.id];
    if (d) details.value = { ...details.value, [run.id]: { ...d, ...run, config: d.config } };
  }

  /**
   * A snapshot from a call's answer: an event may have moved the run on while the call was
   * in flight (events come in order on their link; answers race them), so keep the later one.
   */
  function applyFetchedSummary(run: RunSummary) {
    const known = summaryOf(run.id);
    applySummary(known ? laterSnapshot(run, known) : run);
  }

  function onChanged(run: EventPayload<'run.changed'>) {
    applySummary(run);
  }

  function onProgress(p: EventPayload<'run.progress'>) {
    progress.value = { ...progress.value, [p.runId]: p };
  }

  function onMetrics(e: EventPayload<'run.metrics'>) {
    const buffer = pendingPoints.get(e.runId);
    if (buffer) {
      buffer.push(...e.points);
      return;
    }
    const current = series.value[e.runId];
    if (!current) return; // not loaded: fetched in full when the run is opened
    series.value = { ...series.value, [e.runId]: mergeMetricPoints(current, e.points, SERIES_MAX_POINTS) };
  }

  function onLog(entry: EventPayload<'run.log'>) {
    const buffer = pendingLogs.get(entry.runId);
    if (buffer) {
      buffer.push(entry);
      return;
    }
    const current = logs.value[entry.runId];
    if (!current) return;
    logs.value = { ...logs.value, [entry.runId]: appendLogs(current, [entry], LOG_TAIL) };
  }

  /** Subscribes to the events once; when the link comes back after a drop, reloads what is shown. */
  function attach() {
    if (attached) return;
    attached = true;
    api.on('run.changed', onChanged);
    api.on('run.progress', onProgress);
    api.on('run.metrics', onMetrics);
    api.on('run.log', onLog);
    api.on('run.removed', ({ id }) => forget(id));
    let wasDown = false;
    api.onConnection((state) => {
      if (state === 'reconnecting') wasDown = true;
      if (state === 'open' && wasDown) {
        wasDown = false;
        void resync();
      }
    });
  }

  async function resync() {
    await loadList();
    const id = selectedId.value;
    if (id) await loadRun(id);
  }

  /** Loads the first page (the newest runs and every active one); the list shows that page again. */
  async function loadList() {
    listLoading.value = true;
    try {
      const page = await api.call('runs.list', {});
      // events may have arrived while the call was in flight: keep whichever snapshot is further along
      runs.value = mergeRunList(page.runs, runs.value);
      listNext.value = page.next;
      listTotal.value = page.total;
      listLoaded.value = true;
      listError.value = null;
    } catch (err) {
      listError.value = ApiError.from(err);
    } finally {
      listLoading.value = false;
    }
  }

  /** Loads the page after the loaded ones; a call while one is in flight does nothing. */
  async function loadMore() {
    const before = listNext.value;
    if (!before || listLoadingMore.value) return;
    listLoadingMore.value = true;
    try {
      const page = await api.call('runs.list', { before });
      runs.value = mergeRunList(page.runs, runs.value);
      // Unless a first-page reload meanwhile reset the end, the list now ends after this page.
      if (listNext.value && compareRunsNewestFirst(listNext.value, before) === 0) listNext.value = page.next;
      listTotal.value = page.total;
      listError.value = null;
    } catch (err) {
      listError.value = ApiError.from(err);
    } finally {
      listLoadingMore.value = false;
    }
  }

  async function loadDetail(id: string) {
    try {
      const d = await api.call('runs.get', { id });
      const { config, ...summary } = d;
      const known = summaryOf(id);
      const latest = known ? laterSnapshot(summary, known) : summary;
      details.value = { ...details.value, [id]: { ...latest, config } };
      runs.value = upsertRun(runs.value, latest);
      if (detailErrors.value[id]) {
        const { [id]: _gone, ...rest } = detailErrors.value;
        detailErrors.value = rest;
      }
    } catch (err) {
      detailErrors.value = { ...detailErrors.value, [id]: ApiError.from(err) };
    }
  }

  async function loadMetrics(id: string) {
    pendingPoints.set(id, []);
    try {
      const list = await api.call('runs.metrics', { id, maxPoints: SERIES_MAX_POINTS });
      const buffered = pendingPoints.get(id) ?? [];
      series.value = { ...series.value, [id]: mergeMetricPoints(seriesFromList(list), buffered, SERIES_MAX_POINTS) };
    } catch (err) {
      detailErrors.value = { ...detailErrors.value, [id]: ApiError.from(err) };
    } finally {
      pendingPoints.delete(id);
    }
  }

  async function loadLogs(id: string) {
    pendingLogs.set(id, []);
    try {
      let tail: LogEntry[] = [];
      let afterId = 0;
      for (let page = 0; page < LOG_MAX_PAGES; page++) {
        const batch = await api.call('runs.logs', { id, afterId, limit: LOG_PAGE });
        tail = appendLogs(tail, batch, LOG_TAIL);
        if (batch.length < LOG_PAGE) break;
        afterId = batch[batch.length - 1].id;
      }
      logs.value = { ...logs.value, [id]: appendLogs(tail, pendingLogs.get(id) ?? [], LOG_TAIL) };
    } catch (err) {
      detailErrors.value = { ...detailErrors.value, [id]: ApiError.from(err) };
    } finally {
      pendingLogs.delete(id);
    }
  }

  /** Loads everything the detail view shows. */
  async function loadRun(id: string) {
    await Promise.all([loadDetail(id), loadMetrics(id), loadLogs(id)]);
  }

  function select(id: string | null) {
    selectedId.value = id;
    if (id) void loadRun(id);
  }

  async function create(config: RunConfig): Promise<RunSummary> {
    const run = await api.call('runs.create', { config });
    applyFetchedSummary(run);
    return run;
  }

  /** Drops a deleted (or removed-from-queue) run from everything the store holds. */
  function forget(id: string) {
    if (runs.value.some((r) => r.id === id)) listTotal.value = Math.max(0, listTotal.value - 1);
    runs.value = runs.value.filter((r) => r.id !== id);
    if (details.value[id]) {
      const { [id]: _gone, ...rest } = details.value;
      details.value = rest;
    }
  }

  /** A summary returned by another store's call (housekeeping, queue). */
  function applyRun(run: RunSummary) {
    const known = summaryOf(run.id);
    const base = known ? laterSnapshot(run, known) : run;
    // The call's answer is the newest word on the housekeeping fields, whatever the progress.
    applySummary({ ...base, name: run.name, tags: run.tags, notes: run.notes, queuePosition: run.queuePosition });
  }

  async function cancel(id: string): Promise<RunSummary> {
    const run = await api.call('runs.cancel', { id });
    applyFetchedSummary(run);
    return run;
  }

  /**
   * Queues an ended run again from its latest checkpoint; its series is reloaded because the
   * main side dropped the rows the aborted attempt wrote after that checkpoint.
   */
  async function resume(id: string): Promise<RunSummary> {
    const run = await api.call('runs.resume', { id });
    applyFetchedSummary(run);
    await loadMetrics(id);
    return run;
  }

  return {
    runs,
    listLoaded,
    listLoading,
    listError,
    listNext,
    listTotal,
    listLoadingMore,
    listedRuns,
    details,
    detailErrors,
    progress,
    series,
    logs,
    selectedId,
    selectedSummary,
    selectedDetail,
    summaryOf,
    attach,
    resync,
    loadList,
    loadMore,
    loadDetail,
    loadMetrics,
    loadLogs,
    loadRun,
    select,
    create,
    cancel,
    resume,
    forget,
    applyRun,
  };
});
