/**
 * Nearest-neighbour galleries (gallery.*): for a query image of a dataset and each chosen
 * feature source, the top-k most similar train images, exact.
 *
 * Each (source, dataset) pair has a bank under SNCA_HOME/cache/galleries/<source>/<dataset>/
 * (an image folder's named by its folders' fingerprint too, so a changed folder is re-embedded)
 * (engine/eval/gallery-bank.ts: train and val features with their labels). A missing bank
 * is computed by a job through the job supervisor, one job at a time, with progress
 * (gallery.bank events) and cancel; searches run in the search worker_thread, which keeps
 * banks resident. A split query's features are its own row of the split's feature file, so
 * a train image always finds itself (similarity 1) among its neighbours.
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve as resolvePath } from 'node:path';
import { open } from 'node:fs/promises';
import sharp from 'sharp';
import { MAX_IMAGE_FILE_BYTES } from '../thumbnails-service.ts';
import { ApiError } from '../../../shared/api-error.ts';
import type { EventBus } from '../event-bus.ts';
import { isSplitQuery, outsideQueryName, type GalleryOutsideQuery, type GalleryHit, type GalleryQuery, type GalleryResult, type GalleryRow, type GallerySource, type GallerySourceInfo } from '../../../shared/gallery.ts';
import { MAX_IMAGE_PIXELS } from '../../engine/data/decoded-image.ts';
import { DatasetSpecSchema, RunConfigSchema, type DatasetSpec } from '../../../shared/run-config.ts';
import type { BackendName } from '../../../shared/domain.ts';
import { BANK_META_FILE, bankFiles, linkBank, readBankMeta, type BankMeta, type ExistingTrainBank } from '../../engine/eval/gallery-bank.ts';
import { writeFileAtomic } from '../../engine/checkpoint/atomic-file.ts';
import { MODEL_BANK_FILE, MODEL_WEIGHTS_FILE } from '../../acquire/torch-model-import.ts';
import type { Model } from '../../../shared/models.ts';
import type { Store } from '../../store/store.ts';
import type { GalleryBankJob } from '../../workers/gallery-bank-protocol.ts';
import { resolveWorkerEntry, type WorkerEntry } from '../../workers/worker-entry.ts';
import { pinningFor } from '../scheduling/device-pinning.ts';
import { DeviceSlots } from '../scheduling/device-slots.ts';
import { canonicalJson } from '../evaluations-service.ts';
import { modelDataset, trainFolderMismatch } from '../model-dataset.ts';
import type { JobTiming } from '../jobs/job-supervisor.ts';
import { isCifarArch } from '../../engine/eval/image-embedding.ts';
import { FolderFingerprints } from '../../engine/data/image-folder-fingerprint.ts';
import { BankSearcher } from './bank-searcher.ts';
import { startGalleryBankJob, type GalleryBankJobHandle } from './gallery-bank-job.ts';
import { renderGalleryHtml } from './gallery-html.ts';

export interface GalleryDeps {
  store: Store;
  bus: EventBus;
  home: string;
  timing: JobTiming;
  diagnostics(line: string): void;
  backend?: BackendName;
  /** Worker entries (tests inject their own); default the built or source workers. */
  bankWorkerEntry?: WorkerEntry;
  searchWorkerEntry?: WorkerEntry;
  /** PNG thumbnail of an image of a known dataset (the thumbnails service). */
  thumbnail(ref: { datasetId: string; split: 'train' | 'val'; index: number; size: number }): Promise<Buffer>;
  /** The thumbnails id of a dataset the main side holds (a run's config); registers it as reachable. */
  datasetIdOf(spec: DatasetSpec): string;
  /** SNCA_HOME/models/<id>/: an imported model's weights and bank. */
  modelDir(modelId: string): string;
  /** The job slots shared with training and evaluations (default: one unpinned embedding slot of its own). */
  slots?: DeviceSlots;
}

export interface GallerySearchRequest {
  dataset: DatasetSpec;
  query: GalleryQuery;
  sources: GallerySource[];
  k: number;
}

interface ResolvedSource {
  source: GallerySource;
  title: string;
  /** Folder name of the source's banks. */
  key: string;
  feature: GalleryBankJob['source'];
  /** The dataset kind whose query-image transform the source takes (default: the gallery's dataset's). */
  inputKind?: DatasetSpec['kind'];
  /** An imported model's bank, and its train folder (null: the bank's images are unknown). */
  imported?: { bank: ExistingTrainBank; trainFolder: string | null };
  /** Class names by label that replace the bank's (an imported model's `classNames`). */
  classNames?: string[];
  /** Why the source cannot answer for this dataset (a failed row). */
  unavailable?: string;
}

interface BankJob {
  id: string;
  dir: string;
  source: GallerySource;
  job: GalleryBankJob;
  handle: GalleryBankJobHandle | null;
  done: number;
  total: number;
}

/** Label files kept parsed (a gallery shows a few sources of one dataset). */
const LABEL_CACHE = 8;

export class GalleryService {
  private readonly searcher: BankSearcher;
  /** Bank jobs by bank folder: the one running first, then those waiting. */
  private readonly jobs = new Map<string, BankJob>();
  private readonly labels = new Map<string, Int32Array>();
  private readonly fingerprints = new FolderFingerprints();
  private nextJob = 1;
  private closed = false;
  private readonly slots: DeviceSlots;

  constructor(private readonly deps: GalleryDeps) {
    this.slots = deps.slots ?? new DeviceSlots([]);
    this.slots.onFreed(() => this.startNext());
    this.searcher = new BankSearcher(() => deps.searchWorkerEntry ?? resolveWorkerEntry('gallery-search-worker'), deps.diagnostics);
  }

  sources(): GallerySourceInfo[] {
    const out: GallerySourceInfo[] = [];
    for (const run of this.deps.store.runs.list()) {
      const dataset = this.datasetOfRun(run.id);
      for (const c of this.deps.store.checkpoints.list(run.id)) {
        out.push({ source: { kind: 'checkpoint', checkpointId: c.id }, title: checkpointTitle(run.id, run.name, c.epoch, c.kind), dataset });
      }
    }
    for (const m of this.deps.store.models.list()) {
      if (m.bankRows === null) continue;
      out.push({ source: { kind: 'model', modelId: m.id }, title: modelTitle(m), dataset: modelDataset(m) });
    }
    out.push({ source: { kind: 'raw' }, title: 'raw pixels', dataset: null });
    return out;
  }

  async search(req: GallerySearchRequest): Promise<GalleryResult> {
    this.checkOpen();
    const dataset = parseDataset(req.dataset);
    const resolved = req.sources.map((s) => this.resolve(s, dataset));
    let queryLabel: number | null = null;
    let className: string | null = null;
    const rows: GalleryRow[] = [];
    // Ready banks first tell the query's label, which every row's same-class marks need.
    const ready: { r: ResolvedSource; dir: string; meta: BankMeta }[] = [];
    for (const r of resolved) {
      if (r.unavailable) continue;
      const dir = this.bankDir(r, dataset);
      const meta = this.metaOrJob(dir, r, dataset);
      if (meta) ready.push({ r, dir, meta });
    }
    const query = req.query;
    if (ready.length > 0 && isSplitQuery(query)) {
      const rowsOf = (meta: BankMeta) => (query.split === 'train' ? meta.trainRows : meta.valRows);
      const inRange = ready.filter((x) => query.index < rowsOf(x.meta));
      if (inRange.length === 0) {
        const n = Math.max(...ready.map((x) => rowsOf(x.meta)));
        throw ApiError.invalidInput([{ path: 'query.index', message: `image ${query.index} is outside the ${n} images of the ${query.split} split` }]);
      }
      // The first bank that knows the image's label (an imported bank without its train folder does not).
      for (const x of inRange) {
        const label = this.labelsOf(x.dir, query.split)[query.index];
        if (label === undefined || label < 0) continue;
        queryLabel = label;
        className = (x.r.classNames ?? x.meta.classNames)[label] ?? String(label);
        break;
      }
    }
    const image = isSplitQuery(query) ? null : await queryImageBytes(query);
    for (const r of resolved) {
      if (r.unavailable) {
        rows.push({ source: r.source, title: r.title, status: 'failed', jobId: null, error: r.unavailable, hits: [] });
        continue;
      }
      const dir = this.bankDir(r, dataset);
      const hit = ready.find((x) => x.r === r);
      if (!hit) {
        const job = this.jobs.get(dir);
        rows.push({ source: r.source, title: r.title, status: 'computing', jobId: job?.id ?? null, error: null, hits: [] });
        continue;
      }
      try {
        const vector = isSplitQuery(query)
          ? readRow(bankFiles(hit.dir, query.split).features, query.index, hit.meta.dim)
          : await this.searcher.embed(r.feature, r.inputKind ?? dataset.kind, image!, outsideQueryName(query));
        const hits = await this.searchBank(hit.dir, hit.meta, vector, req.k, queryLabel, r.classNames ?? hit.meta.classNames);
        rows.push({ source: r.source, title: r.title, status: 'ready', jobId: null, error: null, hits });
      } catch (err) {
        rows.push({ source: r.source, title: r.title, status: 'failed', jobId: null, error: err instanceof Error ? err.message : String(err), hits: [] });
      }
    }
    const described = isSplitQuery(query) ? { split: query.split, index: query.index, name: null } : { split: null, index: null, name: outsideQueryName(query) };
    return { datasetId: this.knownDatasetId(dataset), query: { ...described, label: queryLabel, className }, rows };
  }

  /**
   * Several queries × several sources as one HTML page with the images inlined. Every bank
   * must be ready: missing ones are started and the export is refused until they complete.
   */
  async export(req: { dataset: DatasetSpec; queries: GalleryQuery[]; sources: GallerySource[]; k: number }): Promise<{ filename: string; mediaType: string; content: string }> {
    const results: GalleryResult[] = [];
    for (const query of req.queries) {
      const r = await this.search({ dataset: req.dataset, query, sources: req.sources, k: req.k });
      const waiting = r.rows.find((row) => row.status !== 'ready');
      if (waiting) {
        throw new ApiError('conflict', `The bank of ${waiting.title} is ${waiting.status === 'computing' ? `being computed (job ${waiting.jobId ?? '?'})` : `not available: ${waiting.error ?? 'failed'}`}; export once it is ready.`);
      }
      results.push(r);
    }
    const datasetId = results[0]?.datasetId ?? null;
    const images = new Map<string, Buffer | null>();
    if (datasetId) {
      const wanted = new Set<string>();
      for (const r of results) {
        if (r.query.split !== null && r.query.index !== null) wanted.add(`${r.query.split}/${r.query.index}`);
        // Label -1: a bank row of an imported model without its train folder, whose image is unknown.
        for (const row of r.rows) for (const h of row.hits) if (h.label >= 0) wanted.add(`train/${h.index}`);
      }
      for (const key of wanted) {
        const [split, index] = key.split('/') as ['train' | 'val', string];
        try {
          images.set(key, await this.deps.thumbnail({ datasetId, split, index: Number(index), size: 64 }));
        } catch {
          // Images not on disk: the tile keeps its index, class and similarity.
          images.set(key, null);
        }
      }
    }
    // Images from outside the dataset are shown as the user gave them, scaled down.
    const outside: (Buffer | null)[] = [];
    for (const q of req.queries) {
      outside.push(isSplitQuery(q) ? null : await queryImageBytes(q).then(queryThumbnail).catch(() => null));
    }
    const content = renderGalleryHtml({
      title: 'SNCA Studio nearest-neighbour gallery',
      datasetTitle: datasetTitle(req.dataset),
      results,
      image: (split, index) => images.get(`${split}/${index}`) ?? null,
      queryImage: (i) => outside[i] ?? null,
    });
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
    return { filename: `gallery-${stamp}.html`, mediaType: 'text/html', content };
  }

  cancelBank(jobId: string): { cancelled: boolean } {
    for (const [dir, job] of this.jobs) {
      if (job.id !== jobId) continue;
      if (job.handle) {
        job.handle.cancel();
      } else {
        this.jobs.delete(dir);
        this.emit(job, 'cancelled', null);
      }
      return { cancelled: true };
    }
    return { cancelled: false };
  }

  async close(): Promise<void> {
    this.closed = true;
    const running = [...this.jobs.values()].filter((j) => j.handle);
    for (const j of running) j.handle!.interrupt('SNCA Studio was closed while the bank was being computed.');
    await Promise.all(running.map((j) => j.handle!.ended));
    this.jobs.clear();
    await this.searcher.close();
  }

  private async searchBank(dir: string, meta: BankMeta, vector: Float32Array, k: number, queryLabel: number | null, classNames: readonly string[]): Promise<GalleryHit[]> {
    if (vector.length !== meta.dim) throw new Error(`the query has ${vector.length} features but the bank rows have ${meta.dim}`);
    const [list] = await this.searcher.search(bankFiles(dir, 'train').features, meta.trainRows, meta.dim, vector, k);
    const labels = this.labelsOf(dir, 'train');
    const hits: GalleryHit[] = [];
    for (let i = 0; i < list!.rows.length; i++) {
      const index = list!.rows[i]!;
      const label = labels[index]!;
      // Label -1: the row's image is unknown (an imported bank without its train folder).
      const className = label < 0 ? '' : (classNames[label] ?? String(label));
      hits.push({ index, similarity: list!.similarities[i]!, label, className, sameClass: label >= 0 && label === queryLabel });
    }
    return hits;
  }

  /** The bank's description when it is complete; otherwise its job is queued (once) and null returned. */
  private metaOrJob(dir: string, r: ResolvedSource, dataset: DatasetSpec): BankMeta | null {
    const meta = readBankMeta(dir);
    if (meta) return meta;
    if (r.imported && r.imported.trainFolder === null) return layoutBankOnly(dir, r.imported.bank);
    if (!this.jobs.has(dir)) {
      this.removeStaleBanks(dir, dataset);
      const job: BankJob = {
        id: `bank-${this.nextJob++}`,
        dir,
        source: r.source,
        job: { source: r.feature, dataset, dir, ...(r.imported ? { trainBank: r.imported.bank } : {}), ...(this.deps.backend ? { backend: this.deps.backend } : {}) },
        handle: null,
        done: 0,
        total: 0,
      };
      this.jobs.set(dir, job);
      this.emit(job, 'running', null);
      this.startNext();
    }
    return null;
  }

  private startNext(): void {
    if (this.closed || [...this.jobs.values()].some((j) => j.handle)) return;
    const next = this.jobs.values().next().value;
    if (!next) return;
    const entry = this.deps.bankWorkerEntry ?? resolveWorkerEntry('gallery-bank-worker');
    // An embedding job takes a device like a run (one job per GPU), or the CPU's embedding slot.
    const slot = this.slots.acquire('embedding', `gallery bank ${next.id}`);
    if (!slot) return;
    this.searcher.evict(bankFiles(next.dir, 'train').features);
    next.handle = startGalleryBankJob({ entry, timing: this.deps.timing, diagnostics: this.deps.diagnostics }, next.id, next.job, (done, total) => {
      next.done = done;
      next.total = total;
      this.emit(next, 'running', null);
    }, slot.device ? pinningFor(slot.device) : undefined);
    void next.handle.ended.then((outcome) => {
      this.jobs.delete(next.dir);
      for (const split of ['train', 'val'] as const) this.labels.delete(bankFiles(next.dir, split).labels);
      if (outcome.status === 'completed' && !outcome.meta) {
        this.emit(next, 'failed', 'The bank worker reported completion without a bank.');
      } else {
        this.emit(next, outcome.status, outcome.error);
      }
      // Offers the slot to whoever waits, this service included.
      this.slots.release(slot);
    });
  }

  private emit(job: BankJob, status: 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted', error: string | null): void {
    this.deps.bus.emit('gallery.bank', { jobId: job.id, source: job.source, status, done: job.done, total: job.total, error });
  }

  private resolve(source: GallerySource, dataset: DatasetSpec): ResolvedSource {
    if (source.kind === 'raw') return { source, title: 'raw pixels', key: 'raw', feature: { kind: 'raw' } };
    if (source.kind === 'model') return this.resolveModel(source, dataset);
    const c = this.deps.store.checkpoints.get(source.checkpointId);
    if (!c) throw ApiError.notFound(`Checkpoint ${source.checkpointId}`);
    const run = this.deps.store.runs.get(c.runId);
    const path = isAbsolute(c.path) ? c.path : join(this.deps.home, c.path);
    return {
      source,
      title: checkpointTitle(c.runId, run?.name ?? null, c.epoch, c.kind),
      key: `checkpoint-${c.sha256.slice(0, 16)}`,
      feature: { kind: 'checkpoint', checkpointPath: path, expectedSha256: c.sha256 },
    };
  }

  /**
   * An imported model answers with its own bank: row i is the i-th image of its train folder,
   * so with a folder it searches only the dataset holding that folder as train/ (val queries
   * are embedded with its weights by a bank job); without one, hits are bank rows with no label.
   */
  private resolveModel(source: { kind: 'model'; modelId: string }, dataset: DatasetSpec): ResolvedSource {
    const m = this.deps.store.models.get(source.modelId);
    if (!m) throw ApiError.notFound(`Model ${source.modelId}`);
    const dir = this.deps.modelDir(m.id);
    const feature = { kind: 'model' as const, weightsPath: join(dir, MODEL_WEIGHTS_FILE), arch: m.arch, config: m.config };
    const base = {
      source,
      title: modelTitle(m),
      key: `model-${m.id}`,
      feature,
      inputKind: isCifarArch(m.arch) ? ('cifar10' as const) : ('imagefolder' as const),
      ...(m.classNames ? { classNames: m.classNames } : {}),
    };
    if (m.bankRows === null || m.bankDim === null) return { ...base, unavailable: `${m.name} was imported without a feature bank.` };
    const imported = { bank: { file: join(dir, MODEL_BANK_FILE), rows: m.bankRows, dim: m.bankDim }, trainFolder: m.trainFolder };
    const mismatch = trainFolderMismatch(m, dataset);
    if (mismatch) return { ...base, imported, unavailable: mismatch };
    return { ...base, imported };
  }

  /**
   * A bank without its train folder does not depend on the gallery's dataset. An image
   * folder's banks are named by the folders' fingerprint too: labels, class names and the
   * val features are derived from the listing, so a folder whose images or classes changed
   * gets a new bank (removeStaleBanks deletes the old one when it is computed).
   */
  private bankDir(r: ResolvedSource, dataset: DatasetSpec): string {
    if (r.imported?.trainFolder === null) return join(this.sourceBanksDir(r), 'bank-only');
    const key = datasetHash(dataset);
    const fingerprint = dataset.kind === 'imagefolder' ? `-${this.fingerprints.of([join(dataset.root, 'train'), join(dataset.root, 'val')])}` : '';
    return join(this.sourceBanksDir(r), `${key}${fingerprint}`);
  }

  private sourceBanksDir(r: ResolvedSource): string {
    return join(this.deps.home, 'cache', 'galleries', r.key);
  }

  /** Banks of the same source and dataset made from an earlier state of its folders. */
  private removeStaleBanks(dir: string, dataset: DatasetSpec): void {
    const parent = dirname(dir);
    const key = datasetHash(dataset);
    let names: string[];
    try {
      names = readdirSync(parent);
    } catch {
      return;
    }
    for (const name of names) {
      if (name === basename(dir) || !(name === key || name.startsWith(`${key}-`)) || name.endsWith('.partial')) continue;
      const stale = join(parent, name);
      this.searcher.evict(bankFiles(stale, 'train').features);
      for (const split of ['train', 'val'] as const) this.labels.delete(bankFiles(stale, split).labels);
      rmSync(stale, { recursive: true, force: true });
    }
  }

  private labelsOf(dir: string, split: 'train' | 'val'): Int32Array {
    const file = bankFiles(dir, split).labels;
    const hit = this.labels.get(file);
    if (hit) return hit;
    const buf = readFileSync(file);
    if (buf.length % 4 !== 0) throw new Error(`${file}: ${buf.length} bytes is not a whole number of int32 labels`);
    const labels = new Int32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
    this.labels.set(file, labels);
    if (this.labels.size > LABEL_CACHE) this.labels.delete(this.labels.keys().next().value!);
    return labels;
  }

  /** The thumbnails id of the dataset when a run of ours uses it (only those are reachable); else null. */
  private knownDatasetId(dataset: DatasetSpec): string | null {
    const wanted = canonicalJson(dataset);
    for (const run of this.deps.store.runs.list()) {
      const d = this.datasetOfRun(run.id);
      if (d && canonicalJson(d) === wanted) return this.deps.datasetIdOf(d);
    }
    // A train folder the user pointed an imported model at.
    for (const m of this.deps.store.models.list()) {
      const d = modelDataset(m);
      if (d && canonicalJson(d) === wanted) return this.deps.datasetIdOf(d);
    }
    return null;
  }

  private datasetOfRun(runId: string): DatasetSpec | null {
    const json = this.deps.store.runs.configJson(runId);
    if (json === undefined) return null;
    const parsed = RunConfigSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data.dataset : null;
  }

  private checkOpen(): void {
    if (this.closed) throw new ApiError('unavailable', 'SNCA Studio is shutting down.');
  }
}

/** A dataset's part of its bank folders' names. */
function datasetHash(dataset: DatasetSpec): string {
  return createHash('sha256').update(canonicalJson(dataset)).digest('hex').slice(0, 16);
}

/** The encoded bytes of a query image from outside the dataset: sent as base64, or a file on this machine (bounded). */
async function queryImageBytes(q: GalleryOutsideQuery): Promise<Uint8Array> {
  if (!('file' in q)) return decodeBase64(q.image.base64);
  const path = resolvePath(q.file.path);
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw ApiError.invalidInput([{ path: 'query.file.path', message: `${path} cannot be opened (${(err as NodeJS.ErrnoException).code ?? String(err)})` }]);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw ApiError.invalidInput([{ path: 'query.file.path', message: `${path} is not a file` }]);
    if (st.size > MAX_IMAGE_FILE_BYTES) throw ApiError.invalidInput([{ path: 'query.file.path', message: `${path} is ${st.size} bytes; a query image may have ${MAX_IMAGE_FILE_BYTES}` }]);
    const bytes = new Uint8Array(st.size);
    const { bytesRead } = await handle.read(bytes, 0, st.size, 0);
    return bytes.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function decodeBase64(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw ApiError.invalidInput([{ path: 'query.image.base64', message: 'is not base64' }]);
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/** A 64-pixel PNG of an encoded image (bounded decode: sharp runs no code and limits pixels). */
async function queryThumbnail(bytes: Uint8Array): Promise<Buffer> {
  return sharp(bytes, { failOn: 'error', limitInputPixels: MAX_IMAGE_PIXELS }).resize(64, 64, { fit: 'cover' }).png().toBuffer();
}

function datasetTitle(d: DatasetSpec): string {
  return d.kind === 'mnist' ? `MNIST demo (${d.trainSize} train / ${d.valSize} val)` : `${d.kind} at ${d.root}`;
}

function parseDataset(spec: DatasetSpec): DatasetSpec {
  const parsed = DatasetSpecSchema.safeParse(spec);
  if (!parsed.success) throw ApiError.invalidInput(parsed.error.issues.map((i) => ({ path: `dataset.${i.path.join('.')}`, message: i.message })));
  return parsed.data;
}

function modelTitle(m: Model): string {
  return `model ${m.name}`;
}

/**
 * The bank folder of an imported bank whose images are unknown: train.f32 links to the
 * bank, every label is -1, no val split. bank.json is written last, as a computed bank's.
 */
function layoutBankOnly(dir: string, bank: ExistingTrainBank): BankMeta {
  const work = `${dir}.partial`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const files = bankFiles(work, 'train');
    linkBank(bank.file, files.features);
    const labels = new Int32Array(bank.rows).fill(-1);
    writeFileAtomic(files.labels, [new Uint8Array(labels.buffer)]);
    writeFileAtomic(bankFiles(work, 'val').features, []);
    writeFileAtomic(bankFiles(work, 'val').labels, []);
    const meta: BankMeta = { dim: bank.dim, trainRows: bank.rows, valRows: 0, classNames: [] };
    writeFileAtomic(join(work, BANK_META_FILE), [new TextEncoder().encode(JSON.stringify(meta))]);
    rmSync(dir, { recursive: true, force: true });
    renameSync(work, dir);
    return meta;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function checkpointTitle(runId: string, runName: string | null, epoch: number, kind: string): string {
  return `${runName ?? runId} · epoch ${epoch} (${kind})`;
}

/** Row `index` of a float32 [n, dim] file. */
function readRow(file: string, index: number, dim: number): Float32Array {
  const out = new Float32Array(dim);
  const view = new Uint8Array(out.buffer);
  const fd = openSync(file, 'r');
  try {
    const got = readSync(fd, view, 0, view.length, index * dim * 4);
    if (got !== view.length) throw new Error(`${file}: row ${index} lies past the end of the file`);
  } finally {
    closeSync(fd);
  }
  return out;
}
