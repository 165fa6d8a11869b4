/**
 * The queryable runs table: query text, sort, chosen columns (remembered across sessions)
 * and the rows of the current result, loaded page by page as the virtualised table
 * scrolls. Filtering and sorting happen on the main side (`runs.query`); a parse error
 * keeps the last good rows and carries the message with its column.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { ApiError } from '../../shared/api-error.ts';
import type { RunSummary } from '../../shared/domain.ts';
import type { CellValue } from '../../shared/run-table.ts';
import { useApiClient } from '../api/client-holder.ts';
import { withBrushes, type Brush } from './hyperparameter-axes.ts';
import { MAX_COMPARE_RUNS } from './navigation.ts';

/** Rows per runs.query page: a screenful and its overscan, so each answer stays small. */
export const PAGE_SIZE = 50;
export const DEFAULT_COLUMNS = ['best.knn_top1', 'last.loss', 'lr', 'batchSize'];
const COLUMNS_STORAGE_KEY = 'snca.runTable.columns';

export interface TableRow {
  run: RunSummary;
  values: CellValue[];
}

export interface SortKey {
  field: string;
  descending: boolean;
}

/** Where the column choice is remembered (localStorage in the app; absent under Node tests). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

function defaultStorage(): KeyValueStorage | null {
  const s = (globalThis as { localStorage?: KeyValueStorage }).localStorage;
  return s ?? null;
}

function readColumns(storage: KeyValueStorage | null): string[] {
  try {
    const raw = storage?.getItem(COLUMNS_STORAGE_KEY);
    const v: unknown = raw ? JSON.parse(raw) : null;
    if (Array.isArray(v) && v.every((c) => typeof c === 'string') && v.length <= 64) return v as string[];
  } catch {
    // A broken stored value falls back to the defaults.
  }
  return [...DEFAULT_COLUMNS];
}

export const useRunTableStore = defineStore('runTable', () => {
  const api = useApiClient();
  let storage: KeyValueStorage | null = defaultStorage();

  const where = ref('');
  const sort = ref<SortKey[]>([]);
  const columns = ref<string[]>(readColumns(storage));
  const total = ref(0);
  /** Sparse: index → row, filled page by page. */
  const rows = shallowRef<(TableRow | undefined)[]>([]);
  const error = ref<ApiError | null>(null);
  const loading = ref(false);
  const selected = ref<string[]>([]);
  /** Ranges brushed on the hyperparameter view's axes, AND-ed to the query. */
  const brushes = ref<Brush[]>([]);
  /** Bumped by every new query so that answers of older ones are dropped. */
  let generation = 0;
  const pagesLoading = new Set<number>();

  const canCompare = computed(() => selected.value.length >= 2 && selected.value.length <= MAX_COMPARE_RUNS);

  function useStorage(s: KeyValueStorage | null) {
    storage = s;
    columns.value = readColumns(s);
  }

  async function fetchPage(page: number, gen: number) {
    const answer = await api.call('runs.query', {
      where: withBrushes(where.value, brushes.value),
      sort: sort.value,
      columns: columns.value,
      offset: page * PAGE_SIZE,
      limit: PAGE_SIZE,
    });
    if (gen !== generation) return;
    const next = page === 0 ? new Array<TableRow | undefined>(answer.total) : [...rows.value];
    next.length = answer.total;
    answer.rows.forEach((r, i) => (next[page * PAGE_SIZE + i] = r));
    total.value = answer.total;
    rows.value = next;
  }

  /** Runs the query from the first page (after any change of query, sort or columns). */
  async function reload() {
    const gen = ++generation;
    pagesLoading.clear();
    loading.value = true;
    try {
      await fetchPage(0, gen);
      if (gen === generation) error.value = null;
    } catch (err) {
      if (gen === generation) error.value = ApiError.from(err);
    } finally {
      if (gen === generation) loading.value = false;
    }
  }

  /** Makes sure the rows first..last are loaded (called by the virtualised table as it scrolls). */
  async function ensureRows(first: number, last: number) {
    const gen = generation;
    const from = Math.max(0, Math.floor(first / PAGE_SIZE));
    const to = Math.floor(Math.min(last, total.value - 1) / PAGE_SIZE);
    const waits: Promise<void>[] = [];
    for (let p = from; p <= to; p++) {
      if (rows.value[p * PAGE_SIZE] || pagesLoading.has(p)) continue;
      pagesLoading.add(p);
      waits.push(fetchPage(p, gen).finally(() => pagesLoading.delete(p)));
    }
    await Promise.all(waits);
  }

  /** Sets (or with null, clears) the brush of one field; the table reloads. */
  function setBrush(field: string, brush: Brush | null) {
    brushes.value = [...brushes.value.filter((b) => b.field !== field), ...(brush ? [brush] : [])];
    return reload();
  }

  function clearBrushes() {
    if (brushes.value.length === 0) return Promise.resolve();
    brushes.value = [];
    return reload();
  }

  function setWhere(text: string) {
    where.value = text;
    return reload();
  }

  /** Click on a header: ascending, then descending, then unsorted. */
  function toggleSort(field: string) {
    const current = sort.value[0];
    if (!current || current.field !== field) sort.value = [{ field, descending: false }];
    else if (!current.descending) sort.value = [{ field, descending: true }];
    else sort.value = [];
    return reload();
  }

  function setColumns(next: string[]) {
    columns.value = [...new Set(next)].slice(0, 64);
    storage?.setItem(COLUMNS_STORAGE_KEY, JSON.stringify(columns.value));
    return reload();
  }

  function toggleSelected(id: string) {
    selected.value = selected.value.includes(id) ? selected.value.filter((s) => s !== id) : [...selected.value, id];
  }

  function clearSelection() {
    selected.value = [];
  }

  /** The issue's field-level message for the query box (with the column), if any. */
  const whereError = computed(() => error.value?.issues?.find((i) => i.path === 'where')?.message ?? null);

  return {
    where,
    sort,
    columns,
    total,
    rows,
    error,
    whereError,
    loading,
    selected,
    brushes,
    canCompare,
    setBrush,
    clearBrushes,
    useStorage,
    reload,
    ensureRows,
    setWhere,
    toggleSort,
    setColumns,
    toggleSelected,
    clearSelection,
  };
});
