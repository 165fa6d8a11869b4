/**
 * The nearest-neighbour gallery: the sources to show side by side, the dataset whose train
 * split is the bank, the query and the history of queries (clicking a retrieval makes it
 * the query; back returns to the one before). A source whose bank is still being computed
 * is followed through `gallery.bank` and searched again once its job completed.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { ApiError } from '../../shared/api-error.ts';
import type { GalleryBankEvent, GalleryQuery, GalleryResult, GallerySource, GallerySourceInfo } from '../../shared/gallery.ts';
import { GALLERY_MAX_SOURCES, isSplitQuery } from '../../shared/gallery.ts';
import type { DatasetSpec } from '../../shared/run-config.ts';
import { useApiClient } from '../api/client-holder.ts';
import type { FileToPlace } from '../api/client-types.ts';

export function sourceKey(s: GallerySource): string {
  return s.kind === 'raw' ? 'raw' : s.kind === 'model' ? `model:${s.modelId}` : `checkpoint:${s.checkpointId}`;
}

/** Identifies a query: a dataset image by split and index, an image from outside by name and size. */
export function queryKey(q: GalleryQuery): string {
  if (isSplitQuery(q)) return `${q.split}:${q.index}`;
  return 'file' in q ? `file:${q.file.path}` : `image:${q.image.name}:${q.image.base64.length}`;
}

export function datasetKey(d: DatasetSpec): string {
  return d.kind === 'mnist' ? `mnist:${d.trainSize}:${d.valSize}` : `${d.kind}:${d.root}`;
}

export function datasetLabel(d: DatasetSpec): string {
  return d.kind === 'mnist' ? `MNIST demo (${d.trainSize} train / ${d.valSize} val)` : `${d.kind} · ${d.root}`;
}

/** Queries one exported page holds at most (the contract's limit). */
export const MAX_EXPORT_QUERIES = 50;

export const useGalleryStore = defineStore('gallery', () => {
  const api = useApiClient();
  const sources = shallowRef<GallerySourceInfo[]>([]);
  const selected = ref<GallerySource[]>([]);
  const dataset = shallowRef<DatasetSpec | null>(null);
  const query = ref<GalleryQuery | null>(null);
  /** Earlier queries, oldest first (Back pops the last). */
  const history = ref<GalleryQuery[]>([]);
  /** Every query shown since the dataset was chosen, each once, in the order first shown: what Export saves. */
  const visited = ref<GalleryQuery[]>([]);
  const result = shallowRef<GalleryResult | null>(null);
  const jobs = ref<Record<string, GalleryBankEvent>>({});
  const error = ref<ApiError | null>(null);
  const loading = ref(false);
  let attached = false;
  let generation = 0;

  /** Datasets the sources were trained on, each once. */
  const datasets = computed(() => {
    const seen = new Map<string, DatasetSpec>();
    for (const s of sources.value) if (s.dataset && !seen.has(datasetKey(s.dataset))) seen.set(datasetKey(s.dataset), s.dataset);
    return [...seen.values()];
  });

  function attach() {
    if (attached) return;
    attached = true;
    api.on('gallery.bank', (e) => {
      jobs.value = { ...jobs.value, [e.jobId]: e };
      const r = result.value;
      if (e.status !== 'running' && r?.rows.some((row) => row.jobId === e.jobId) && query.value) void run(query.value);
    });
  }

  async function loadSources() {
    attach();
    try {
      sources.value = await api.call('gallery.sources', {});
      if (!dataset.value) dataset.value = datasets.value[0] ?? null;
      if (selected.value.length === 0) {
        // By default: the newest checkpoint of the chosen dataset next to the raw baseline.
        const ckpt = [...sources.value].reverse().find((s) => s.source.kind === 'checkpoint' && s.dataset && dataset.value && datasetKey(s.dataset) === datasetKey(dataset.value));
        selected.value = [...(ckpt ? [ckpt.source] : []), { kind: 'raw' }];
      }
    } catch (err) {
      error.value = ApiError.from(err);
    }
  }

  function isSelected(s: GallerySource): boolean {
    return selected.value.some((x) => sourceKey(x) === sourceKey(s));
  }

  function toggleSource(s: GallerySource) {
    if (isSelected(s)) selected.value = selected.value.filter((x) => sourceKey(x) !== sourceKey(s));
    else if (selected.value.length < GALLERY_MAX_SOURCES) selected.value = [...selected.value, s];
    if (query.value) void run(query.value);
  }

  function setDataset(d: DatasetSpec) {
    dataset.value = d;
    history.value = [];
    visited.value = [];
    result.value = null;
    if (query.value) void run(query.value);
  }

  async function run(q: GalleryQuery) {
    const d = dataset.value;
    if (!d || selected.value.length === 0) return;
    const gen = ++generation;
    loading.value = true;
    error.value = null;
    try {
      const r = await api.call('gallery.search', { dataset: d, query: q, sources: selected.value });
      if (gen === generation) result.value = r;
    } catch (err) {
      if (gen === generation) error.value = ApiError.from(err);
    } finally {
      if (gen === generation) loading.value = false;
    }
  }

  /** Makes `q` the query; the current one goes onto the history. */
  async function show(q: GalleryQuery) {
    if (query.value && queryKey(query.value) !== queryKey(q)) history.value = [...history.value, query.value];
    query.value = q;
    if (!visited.value.some((x) => queryKey(x) === queryKey(q))) visited.value = [...visited.value, q];
    await run(q);
  }

  /**
   * A picked or dropped image file becomes the query: the core reads it where it is (desktop)
   * or once sent (serve mode). Returns its path on the core's machine, or null when refused.
   */
  async function showFile(file: FileToPlace): Promise<string | null> {
    error.value = null;
    let placed;
    try {
      placed = await api.placeFile(file, 'image');
    } catch (err) {
      error.value = ApiError.from(err);
      return null;
    }
    await show({ file: { path: placed.path, name: placed.name } });
    return placed.path;
  }

  /** Back to the previous query; false when there is none. */
  async function back(): Promise<boolean> {
    const prev = history.value.at(-1);
    if (!prev) return false;
    history.value = history.value.slice(0, -1);
    query.value = prev;
    await run(prev);
    return true;
  }

  async function cancelJob(jobId: string) {
    try {
      await api.call('gallery.cancelBank', { jobId });
    } catch (err) {
      error.value = ApiError.from(err);
    }
  }

  /** The queries shown (the latest MAX_EXPORT_QUERIES) × the selected sources as one HTML page. */
  async function exportHtml(): Promise<{ filename: string; content: string } | null> {
    const d = dataset.value;
    if (!d || visited.value.length === 0) return null;
    try {
      const r = await api.call('gallery.export', { dataset: d, queries: visited.value.slice(-MAX_EXPORT_QUERIES), sources: selected.value });
      return { filename: r.filename, content: r.content };
    } catch (err) {
      error.value = ApiError.from(err);
      return null;
    }
  }

  return { sources, selected, dataset, datasets, query, history, visited, result, jobs, error, loading, loadSources, isSelected, toggleSource, setDataset, show, showFile, back, cancelJob, exportHtml };
});
