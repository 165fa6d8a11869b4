/**
 * Datasets as the API sees them: quick layout checks (also done before a run is stored),
 * and CIFAR download / import jobs that run in this process (async I/O, never blocking the
 * caller) and report `dataset.progress` events. No Electron and no HTTP in here.
 */
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ApiError } from '../../shared/api-error.ts';
import type { CifarFormat, DatasetJob, DatasetProgress, DatasetSummary, DatasetValidation } from '../../shared/datasets.ts';
import { CIFAR_TITLE, locateCifar } from '../engine/data/cifar-layout.ts';
import { checkCifarPythonBatches } from '../acquire/cifar-python.ts';
import { CIFAR_ARCHIVES, checkDatasetArchive, cifarArchive, downloadCifar, importCifarArchive } from '../acquire/cifar-archive.ts';
import { cifarBinaryRecordBytes } from '../engine/data/cifar-binary.ts';
import { DownloadError, type DownloadProgress } from '../acquire/archive-download.ts';
import { DatasetError, NoDatasetError } from '../engine/data/data-errors.ts';
import { findClasses } from '../engine/data/image-folder.ts';
import { validateDatasetSpec } from '../engine/data/open-dataset.ts';
import { DatasetSpecSchema, isCifarKind, isPlaceholderRoot, type CifarKind, type DatasetSpec, type FolderDatasetKind } from '../../shared/run-config.ts';
import type { EventBus } from './event-bus.ts';

/** Where to fetch an archive from, its md5 and size when known (tests and mirrors replace the official site). */
export type CifarSource = (kind: CifarKind, format: CifarFormat) => { url: string; md5: string; size?: number };

export interface DatasetsServiceDeps {
  home: string;
  bus: EventBus;
  diagnostics: (line: string) => void;
  cifarSource?: CifarSource;
  /** Automatic resumes after a cut connection (default 3) and the pause between them. */
  retries?: number;
  retryDelayMs?: number;
}

const KIND_TITLE: Record<string, string> = { ...CIFAR_TITLE, imagefolder: 'the ImageNet-style folder (train/ and val/)', mnist: 'MNIST' };

/** The message when a preset's placeholder root was not replaced by a real folder. */
export function placeholderMessage(kind: string): string {
  const what = KIND_TITLE[kind] ?? kind;
  const how = isCifarKind(kind) ? ` (download or import it first: in New run, or \`snca data download ${kind}\`)` : '';
  return `choose the dataset folder: this preset needs your copy of ${what}${how}`;
}

const EXPECTED_INSIDE: Record<FolderDatasetKind, string> = {
  cifar10: 'cifar-10-batches-py/ or cifar-10-batches-bin/ (or their batch files)',
  cifar100: 'cifar-100-python/ or cifar-100-binary/ (or their batch files)',
  imagefolder: 'train/<class>/<images> and val/<class>/<images>',
};

/**
 * The one answer for a path that is not recognisably the dataset, whether it is missing, a
 * file or some other folder: validating must not tell a client of the API which paths exist.
 * Details (a missing batch file, an empty class folder) are given only inside a recognised
 * dataset folder.
 */
export function noDatasetMessage(spec: { kind: FolderDatasetKind; root: string }): string {
  const what = spec.kind === 'imagefolder' ? 'ImageNet-style dataset' : `${CIFAR_TITLE[spec.kind]} dataset`;
  return `${spec.root}: no ${what} here (the path is missing, not a folder, or laid out otherwise): expected a folder holding ${EXPECTED_INSIDE[spec.kind]}`;
}

interface Job {
  id: string;
  kind: CifarKind;
  root: string;
  abort: AbortController;
  done: Promise<void>;
}

function describe(err: unknown): { message: string; path: string | null } {
  if (err instanceof DownloadError) {
    const message = err.code === 'offline' ? `No network: import a local archive instead. ${err.message}` : err.message;
    return { message, path: err.path || null };
  }
  if (err instanceof DatasetError) return { message: err.message, path: err.path };
  return { message: err instanceof Error ? err.message : String(err), path: null };
}

async function fileSize(path: string): Promise<number> {
  return (await stat(path)).size;
}

export class DatasetsService {
  private readonly jobs = new Map<string, Job>();

  constructor(private readonly deps: DatasetsServiceDeps) {}

  /** `$SNCA_HOME/datasets/<kind>`: where downloads go when no folder is given. */
  defaultRoot(kind: string): string {
    return join(this.deps.home, 'datasets', kind);
  }

  /** A CIFAR dataset whose root is the preset placeholder points at the default download folder. */
  withDefaultRoot(spec: DatasetSpec): DatasetSpec {
    if ((spec.kind === 'cifar10' || spec.kind === 'cifar100') && isPlaceholderRoot(spec.root)) return { ...spec, root: this.defaultRoot(spec.kind) };
    return spec;
  }

  /** Quick check of a dataset: never throws for a bad dataset, answers `ok: false` with the library's message. */
  async validate(specInput: unknown): Promise<DatasetValidation> {
    const parsed = DatasetSpecSchema.safeParse(specInput);
    if (!parsed.success) throw ApiError.invalidInput(parsed.error.issues.map((i) => ({ path: ['spec', ...i.path].join('.'), message: i.message })), 'dataset');
    const spec = parsed.data;
    if ('root' in spec && isPlaceholderRoot(spec.root)) return { ok: false, message: placeholderMessage(spec.kind), path: null, summary: null };
    try {
      await validateDatasetSpec(spec);
      return { ok: true, message: null, path: null, summary: await this.summarize(spec) };
    } catch (err) {
      if (err instanceof NoDatasetError && spec.kind !== 'mnist') return { ok: false, message: noDatasetMessage(spec), path: spec.root, summary: null };
      if (!(err instanceof DatasetError)) throw err;
      return { ok: false, message: err.message, path: err.path, summary: null };
    }
  }

  /**
   * Refuses a run's dataset when it is not usable, before the run is stored: the issue names
   * `config.dataset.root` and carries the data library's message. MNIST is built in.
   */
  async assertRunDataset(spec: DatasetSpec): Promise<void> {
    if (spec.kind === 'mnist') return;
    const v = await this.validate(spec);
    if (!v.ok) throw ApiError.invalidInput([{ path: 'config.dataset.root', message: v.message ?? 'the dataset is not usable' }], 'run config');
  }

  private async summarize(spec: DatasetSpec): Promise<DatasetSummary> {
    const s = DatasetSpecSchema.parse(spec);
    switch (s.kind) {
      case 'mnist':
        return { kind: s.kind, dir: null, format: null, classes: 10, trainCount: s.trainSize, valCount: s.valSize };
      case 'cifar10':
      case 'cifar100': {
        const layout = await locateCifar(s.kind, s.root);
        let trainCount: number | null = null;
        let valCount: number | null = null;
        if (layout.format === 'binary') {
          const rec = cifarBinaryRecordBytes(s.kind);
          const sum = async (files: readonly string[]) => (await Promise.all(files.map(fileSize))).reduce((a, b) => a + b, 0) / rec;
          trainCount = await sum(layout.trainFiles);
          valCount = await sum(layout.testFiles);
        } else {
          // Every batch parsed and its sizes checked here, so a damaged one is refused before a run is stored.
          const sum = async (files: readonly string[]) => (await checkCifarPythonBatches(s.kind, files)).reduce((a, b) => a + b, 0);
          trainCount = await sum(layout.trainFiles);
          valCount = await sum(layout.testFiles);
        }
        return { kind: s.kind, dir: layout.dir, format: layout.format, classes: s.kind === 'cifar10' ? 10 : 100, trainCount, valCount };
      }
      case 'imagefolder': {
        const classes = await findClasses(join(s.root, 'train'));
        return { kind: s.kind, dir: resolve(s.root), format: 'imagefolder', classes: classes.length, trainCount: null, valCount: null };
      }
    }
  }

  download(input: { kind: CifarKind; root?: string | undefined; format: CifarFormat }): DatasetJob {
    const root = resolve(input.root ?? this.defaultRoot(input.kind));
    const official = cifarArchive(input.kind, input.format);
    const source = this.deps.cifarSource?.(input.kind, input.format) ?? { url: official.url, md5: official.md5 };
    return this.start(input.kind, root, async (job, emit) => {
      let last: DownloadProgress | null = null;
      await downloadCifar(input.kind, root, {
        format: input.format,
        url: source.url,
        md5: source.md5,
        signal: job.abort.signal,
        ...(this.deps.retries !== undefined ? { retries: this.deps.retries } : {}),
        ...(this.deps.retryDelayMs !== undefined ? { retryDelayMs: this.deps.retryDelayMs } : {}),
        onProgress: (p) => {
          last = p;
          if (p.done) emit({ phase: 'extract', bytes: p.receivedBytes, totalBytes: p.totalBytes, bytesPerSec: 0 });
          else if (p.totalBytes !== null && p.receivedBytes >= p.totalBytes) emit({ phase: 'verify', bytes: p.receivedBytes, totalBytes: p.totalBytes, bytesPerSec: 0 });
          else emit({ phase: 'download', bytes: p.receivedBytes, totalBytes: p.totalBytes, bytesPerSec: p.bytesPerSecond });
        },
      });
      const bytes = (last as DownloadProgress | null)?.receivedBytes ?? 0;
      return { bytes, message: last ? `${CIFAR_TITLE[input.kind]} is ready in ${root}` : `${CIFAR_TITLE[input.kind]} was already in ${root}; nothing downloaded` };
    });
  }

  import(input: { kind: CifarKind; archivePath: string; root?: string | undefined }): DatasetJob {
    const root = resolve(input.root ?? this.defaultRoot(input.kind));
    const archivePath = resolve(input.archivePath);
    return this.start(input.kind, root, async (job, emit) => {
      // With a configured source (a mirror, or tests), its archive's md5 and size are the expected ones.
      const source = this.deps.cifarSource?.(input.kind, 'python');
      const md5 = source?.md5 ?? 'official';
      // Nothing about the file (not even its size) is reported before it passed as an archive.
      const size = await checkDatasetArchive(input.kind, archivePath, source ? (source.size !== undefined ? [source.size] : null) : CIFAR_ARCHIVES.filter((a) => a.kind === input.kind).map((a) => a.size));
      emit({ phase: 'verify', bytes: 0, totalBytes: size, bytesPerSec: 0 });
      await importCifarArchive(input.kind, archivePath, root, {
        md5,
        ...(source?.size !== undefined ? { size: source.size } : {}),
        signal: job.abort.signal,
        log: (m) => {
          if (m.startsWith('Extracting')) emit({ phase: 'extract', bytes: size, totalBytes: size, bytesPerSec: 0 });
        },
      });
      return { bytes: size, message: `${CIFAR_TITLE[input.kind]} imported from ${archivePath} into ${root}` };
    });
  }

  cancel(jobId: string): { cancelled: boolean } {
    const job = this.jobs.get(jobId);
    if (!job) return { cancelled: false };
    job.abort.abort(new Error('cancelled'));
    return { cancelled: true };
  }

  /** Resolves when the job has ended (done or error); for the CLI and tests. */
  async whenEnded(jobId: string): Promise<void> {
    await this.jobs.get(jobId)?.done;
  }

  /** Stops every job and waits for them to end. */
  async close(): Promise<void> {
    for (const j of this.jobs.values()) j.abort.abort(new Error('closing'));
    await Promise.all([...this.jobs.values()].map((j) => j.done));
  }

  private start(
    kind: CifarKind,
    root: string,
    work: (job: Job, emit: (p: Omit<DatasetProgress, 'jobId' | 'kind' | 'root'>) => void) => Promise<{ bytes: number; message: string }>,
  ): DatasetJob {
    for (const j of this.jobs.values()) {
      if (j.root === root && j.kind === kind) throw new ApiError('conflict', `${CIFAR_TITLE[kind]} is already being downloaded or imported into ${root} (job ${j.id})`);
    }
    const id = randomUUID();
    const job: Job = { id, kind, root, abort: new AbortController(), done: Promise.resolve() };
    const emit = (p: Omit<DatasetProgress, 'jobId' | 'kind' | 'root'>) => this.deps.bus.emit('dataset.progress', { jobId: id, kind, root, ...p });
    this.jobs.set(id, job);
    job.done = (async () => {
      // Let the caller receive the job id before the first event.
      await new Promise<void>((r) => setImmediate(r));
      try {
        const { bytes, message } = await work(job, emit);
        emit({ phase: 'done', bytes, totalBytes: bytes || null, bytesPerSec: 0, message });
      } catch (err) {
        const { message } = describe(err);
        emit({ phase: 'error', bytes: 0, totalBytes: null, bytesPerSec: 0, message });
      } finally {
        this.jobs.delete(id);
      }
    })();
    return { jobId: id, root };
  }
}
