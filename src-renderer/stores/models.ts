/**
 * Imported models for the Models screen: the list (kept current by model.changed /
 * model.removed), import jobs with their latest model.importProgress, and the actions
 * (import a file, cancel, rename, point a model at its train folder, remove). A file dropped
 * on the window is imported here: in the desktop window by its path; in a browser a dropped
 * file has no path on the machine the core runs on, so the drop is answered with a message.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { EventPayload } from '../../shared/api.ts';
import { ApiError } from '../../shared/api-error.ts';
import type { Model } from '../../shared/models.ts';
import { useApiClient } from '../api/client-holder.ts';

export type ModelImportState = EventPayload<'model.importProgress'>;

/** File names a PyTorch checkpoint of the reference has. */
export const TORCH_CHECKPOINT_PATTERN = /\.(pth\.tar|pth|pt|tar|t7)$/i;

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
  let attached = false;

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

  /** A file dropped on the window: its path when the desktop shell could tell it, else null. */
  async function importDropped(path: string | null, fileName: string): Promise<string | null> {
    if (path === null) {
      dropMessage.value =
        `${fileName} was dropped in a browser, which does not tell the server where the file is. ` +
        'Type the path of the file on the machine SNCA Studio runs on in the Import field instead.';
      return null;
    }
    if (!TORCH_CHECKPOINT_PATTERN.test(path)) {
      dropMessage.value = `${fileName} is not a PyTorch checkpoint (.pth, .pth.tar, .tar, .t7); nothing was imported.`;
      return null;
    }
    return importFile(path);
  }

  return { models, loaded, error, imports, activeImports, dropMessage, attach, load, importFile, cancelImport, dismissImport, update, remove, importDropped };
});
