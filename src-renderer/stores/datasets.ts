/**
 * Dataset checks and CIFAR download/import jobs for the New-run form: results of
 * datasets.validate keyed by (kind, root), and the latest dataset.progress of each job.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { EventPayload, MethodOutput } from '../../shared/api.ts';
import { ApiError } from '../../shared/api-error.ts';
import type { CifarKind, FolderDatasetKind } from '../../shared/run-config.ts';
import { useApiClient } from '../api/client-holder.ts';

export type DatasetCheck = MethodOutput<'datasets.validate'>;
export type DatasetJobState = EventPayload<'dataset.progress'>;

export function checkKey(kind: string, root: string): string {
  return `${kind}\u0000${root.trim()}`;
}

/** Fraction done of a job for a progress bar; null while the size is unknown. */
export function jobFraction(job: DatasetJobState): number | null {
  if (job.phase === 'done') return 1;
  if (job.phase !== 'download' || !job.totalBytes) return null;
  return Math.min(1, job.bytes / job.totalBytes);
}

export const useDatasetsStore = defineStore('datasets', () => {
  const api = useApiClient();
  /** Check results by checkKey(kind, root). */
  const checks = ref<Record<string, DatasetCheck>>({});
  const checking = ref<Record<string, boolean>>({});
  /** The latest event of each job, by job id. */
  const jobs = ref<Record<string, DatasetJobState>>({});
  const startError = ref<ApiError | null>(null);
  let attached = false;

  function attach() {
    if (attached) return;
    attached = true;
    api.on('dataset.progress', (p) => {
      jobs.value = { ...jobs.value, [p.jobId]: p };
      // A finished job changes what the folder holds: forget the old check.
      if (p.phase === 'done') {
        const key = checkKey(p.kind, p.root);
        const { [key]: _dropped, ...rest } = checks.value;
        checks.value = rest;
      }
    });
  }

  async function validate(kind: FolderDatasetKind, root: string): Promise<DatasetCheck | null> {
    const key = checkKey(kind, root);
    if (!root.trim()) return null;
    checking.value = { ...checking.value, [key]: true };
    try {
      const result = await api.call('datasets.validate', { spec: { kind, root: root.trim() } });
      checks.value = { ...checks.value, [key]: result };
      return result;
    } catch (err) {
      const e = ApiError.from(err);
      const result: DatasetCheck = { ok: false, message: e.message, path: null, summary: null };
      checks.value = { ...checks.value, [key]: result };
      return result;
    } finally {
      const { [key]: _done, ...rest } = checking.value;
      checking.value = rest;
    }
  }

  function checkOf(kind: string, root: string): DatasetCheck | undefined {
    return checks.value[checkKey(kind, root)];
  }

  /** The newest job writing into (kind, root), if any. */
  function jobFor(kind: string, root: string): DatasetJobState | undefined {
    const r = root.trim();
    let found: DatasetJobState | undefined;
    for (const j of Object.values(jobs.value)) if (j.kind === kind && j.root === r) found = j;
    return found;
  }

  async function start(run: () => Promise<MethodOutput<'datasets.download'>>, kind: CifarKind): Promise<MethodOutput<'datasets.download'> | null> {
    attach();
    startError.value = null;
    try {
      const job = await run();
      // Show the job at once, before its first event arrives.
      if (!jobs.value[job.jobId]) {
        jobs.value = { ...jobs.value, [job.jobId]: { jobId: job.jobId, kind, root: job.root, bytes: 0, totalBytes: null, bytesPerSec: 0, phase: 'download' } };
      }
      return job;
    } catch (err) {
      startError.value = ApiError.from(err);
      return null;
    }
  }

  function download(kind: CifarKind, root?: string) {
    const r = root?.trim();
    return start(() => api.call('datasets.download', r ? { kind, root: r } : { kind }), kind);
  }

  function importArchive(kind: CifarKind, archivePath: string, root?: string) {
    const r = root?.trim();
    return start(() => api.call('datasets.import', r ? { kind, archivePath, root: r } : { kind, archivePath }), kind);
  }

  async function cancel(jobId: string): Promise<void> {
    await api.call('datasets.cancelDownload', { jobId });
  }

  return { checks, checking, jobs, startError, attach, validate, checkOf, jobFor, download, importArchive, cancel };
});

/** Sizes of archives: "170.5 MB". */
export function formatDownloadSize(bytes: number): string {
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(0)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}
