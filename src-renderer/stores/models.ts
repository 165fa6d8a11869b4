/**
 * Imported models for the Models screen: the list (kept current by model.changed /
 * model.removed), import jobs with their latest model.importProgress, and the actions
 * (import a file, cancel, rename, point a model at its train folder, remove). A file dropped
 * on the window or chosen in a browser is imported here: in the desktop window by its path;
 * in a browser it is first sent to the server (with progress), then imported from there.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { EventPayload } from '../../shared/api.ts';
import { ApiError } from '../../shared/api-error.ts';
import type { Model } from '../../shared/models.ts';
import { UPLOAD_NAME_PATTERNS } from '../../shared/uploads.ts';
import { useApiClient } from '../api/client-holder.ts';
import type { FileToPlace } from '../api/client-types.ts';

export type ModelImportState = EventPayload<'model.importProgress'>;

/** A checkpoint being sent to the server before its import (serve mode). */
export interface ModelUpload {
  id: string;
  fileName: string;
  sentBytes: number;
  totalBytes: number;
}

/** Fraction done of an import for a progress bar (hashing is the first half, the bank copy the second). */
export function importFraction(p: ModelImportState): number | null {
  if (p.phase === 'done') return 1;
  if (!p.totalBytes) return null;
  const f = Math.min(1, p.bytes / p.totalBytes);
  if (p.phase === 'hash') return f / 2;
  if (p.phase === 'read') return 0.5;
  if (p.phase === 'copy') return 0.5 + f / 2;
  return null;
}

export function isImportActive(p: ModelImportState): boolean {
  return p.phase === 'hash' || p.phase === 'read' || p.phase === 'copy';
}

export const useModelsStore = defineStore('models', () => {
  const api = useApiClient();
  const models = shallowRef<Model[]>([]);
  const loaded = ref(false);
  const error = ref<ApiError | null>(null);
  /** The latest progress of each import job of this session, by job id. */
  const imports = shallowRef<Record<string, ModelImportState>>({});
  /** Why a drop could not be imported (e.g. in a browser), shown on the Models screen. */
  const dropMessage = ref<string | null>(null);
  /** Checkpoints being sent, by a local id. */
  const uploads = shallowRef<Record<string, ModelUpload>>({});
  let attached = false;
  let nextUpload = 1;

  const activeImports = computed(() => Object.values(imports.value).filter(isImportActive));

  function upsert(m: Model) {
    const rest = models.value.filter((x) => x.id !== m.id);
    models.value = [m, ...rest].sort((a, b) => (a.importedAt < b.importedAt ? 1 : a.importedAt > b.importedAt ? -1 : 0));
  }

  function attach() {
    if (attached) return;
    attached = true;
    api.on('model.changed', upsert);
    api.on('model.removed', ({ id }) => (models.value = models.value.filter((m) => m.id !== id)));
    api.on('model.importProgress', (p) => (imports.value = { ...imports.value, [p.jobId]: p }));
  }

  async function load() {
    attach();
    try {
      models.value = await api.call('models.list', {});
      error.value = null;
    } catch (err) {
      error.value = ApiError.from(err);
    } finally {
      loaded.value = true;
    }
  }

  /** Starts importing `path` (on the core's machine); the job shows at once, before its first event. */
  async function importFile(path: string, name?: string): Promise<string> {
    attach();
    dropMessage.value = null;
    const trimmed = name?.trim();
    const job = await api.call('models.import', { path: path.trim(), ...(trimmed ? { name: trimmed } : {}) });
    if (!imports.value[job.jobId]) {
      const fileName = path.trim().split(/[\\/]/).pop() ?? path;
      imports.value = { ...imports.value, [job.jobId]: { jobId: job.jobId, name: job.name, fileName, phase: 'hash', bytes: 0, totalBytes: 0, bytesPerSec: 0 } };
    }
    return job.jobId;
  }

  async function cancelImport(jobId: string): Promise<void> {
    await api.call('models.cancelImport', { jobId });
  }

  function dismissImport(jobId: string) {
    const { [jobId]: _gone, ...rest } = imports.value;
    imports.value = rest;
  }

  async function update(input: { id: string; name?: string; trainFolder?: string | null }): Promise<Model> {
    const m = await api.call('models.update', input);
    upsert(m);
    return m;
  }

  async function remove(id: string): Promise<void> {
    await api.call('models.remove', { id });
    models.value = models.value.filter((m) => m.id !== id);
  }

  /**
   * A file of the page (dropped on the window, or chosen in a browser) imported as a model:
   * placed on the core's machine (its own path in the desktop window; sent to the server in a
   * browser, its progress in `uploads`), then imported from there. Resolves to the import's
   * job id, or null when the file is not a checkpoint (dropMessage says so).
   */
  async function importDropped(file: FileToPlace, name?: string): Promise<string | null> {
    dropMessage.value = null;
    if (!UPLOAD_NAME_PATTERNS.model.test(file.name)) {
      dropMessage.value = `${file.name} is not a PyTorch checkpoint (.pth, .pth.tar, .tar, .t7, .pt, .ckpt); nothing was imported.`;
      return null;
    }
    const id = `upload-${nextUpload++}`;
    const track = (sentBytes: number, totalBytes: number) => (uploads.value = { ...uploads.value, [id]: { id, fileName: file.name, sentBytes, totalBytes } });
    track(0, file.size);
    try {
      const placed = await api.placeFile(file, 'model', track);
      return await importFile(placed.path, name);
    } finally {
      const { [id]: _done, ...rest } = uploads.value;
      uploads.value = rest;
    }
  }

  return { models, loaded, error, imports, activeImports, dropMessage, uploads, attach, load, importFile, cancelImport, dismissImport, update, remove, importDropped };
});
