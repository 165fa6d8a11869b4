/**
 * Imported models: the rules of bringing a PyTorch checkpoint of the reference in, and of
 * embedding images with a model.
 *
 * An import is a supervised job (model-import worker) that hashes the file, reads it with
 * the safe torch reader and stages the converted weights and the feature bank in
 * `models/.import-<pid>-<id>/`. A file whose sha256 is already recorded (or being imported
 * by another job of this process) is refused as soon as its hash is known, naming the model.
 * Only a completed job is recorded: the row is inserted and the staging folder renamed to
 * `models/<id>/` in one transaction; a failed, refused, cancelled or interrupted import
 * deletes its staging folder, so it leaves no row and no file. Staging folders of dead
 * processes are deleted on start.
 *
 * Embedding resolves a reference (an imported model's name or id, a run id, or a checkpoint
 * file of ours) to a network and runs the embed worker on the images.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, join, resolve as resolvePath } from 'node:path';
import { ApiError } from '../../shared/api-error.ts';
import type { BackendName } from '../../shared/domain.ts';
import type { Embeddings, Model, ModelImportJob, ModelImportProgress } from '../../shared/models.ts';
import type { Store } from '../store/store.ts';
import { MODEL_WEIGHTS_FILE } from '../acquire/torch-model-import.ts';
import { DatasetError } from '../engine/data/data-errors.ts';
import { indexImageFolder } from '../engine/data/image-folder.ts';
import type { EmbedJob } from '../workers/embed-protocol.ts';
import { resolveWorkerEntry, type WorkerEntry } from '../workers/worker-entry.ts';
import type { DataPaths } from './data-home.ts';
import type { EventBus } from './event-bus.ts';
import { preferredCheckpoint } from './evaluations-service.ts';
import { startEmbedJob, type EmbedResult } from './jobs/embed-job.ts';
import { pinningFor } from './scheduling/device-pinning.ts';
import { DeviceSlots, type Slot } from './scheduling/device-slots.ts';
import type { JobTiming } from './jobs/job-supervisor.ts';
import { startModelImportJob, type ImportedFiles } from './jobs/model-import-job.ts';
import type { ResultJobHandle } from './jobs/result-job.ts';

export interface ModelsDeps {
  store: Store;
  bus: EventBus;
  paths: DataPaths;
  pid: number;
  now(): number;
  isAlive(pid: number): boolean;
  diagnostics(line: string): void;
  timing: JobTiming;
  /** Default: the built or source `model-import-worker` / `embed-worker`. */
  importEntry?: WorkerEntry;
  embedEntry?: WorkerEntry;
  backend?: BackendName;
  /** The job slots shared with training, evaluations and gallery banks (default: one unpinned embedding slot of its own). */
  slots?: DeviceSlots;
  /** Told the imported file's path once its import has ended, however (an uploaded file is then deleted). */
  importEnded?(path: string): void;
}

export interface ModelImportRequest {
  path: string;
  name?: string | undefined;
}

export interface ModelUpdate {
  id: string;
  name?: string | undefined;
  trainFolder?: string | null | undefined;
  classNames?: string[] | null | undefined;
}

interface ImportJob {
  id: string;
  name: string;
  fileName: string;
  stagingDir: string;
  handle: ResultJobHandle<ImportedFiles>;
  sha256: string | null;
  /** Why the import was refused after hashing (the file was imported before). */
  refusal: string | null;
  /** When the current phase began (its bytes per second are measured from there). */
  phaseStartedAt: number;
  last: ModelImportProgress;
  done: Promise<ModelImportProgress>;
}

const STAGING_PREFIX = '.import-';
/** What a file name loses to become a default model name. */
const TORCH_EXTENSIONS = /(\.pth\.tar|\.pth|\.pt|\.tar|\.t7|\.ckpt)$/i;

export class ModelsService {
  private readonly imports = new Map<string, ImportJob>();
  private readonly embeddings = new Set<ResultJobHandle<EmbedResult>>();
  /** Embeddings waiting for a slot, in order. */
  private readonly waitingForSlot: { holder: string; take(slot: Slot | null): void }[] = [];
  private readonly slots: DeviceSlots;
  private closed = false;

  constructor(private readonly deps: ModelsDeps) {
    this.slots = deps.slots ?? new DeviceSlots([]);
    this.slots.onFreed(() => this.offerSlots());
    mkdirSync(deps.paths.modelsDir, { recursive: true, mode: 0o700 });
    this.removeAbandonedStaging();
  }

  list(): Model[] {
    return this.deps.store.models.list();
  }

  get(id: string): Model {
    const m = this.deps.store.models.get(id);
    if (!m) throw ApiError.notFound(`Model ${id}`);
    return m;
  }

  import(req: ModelImportRequest): ModelImportJob {
    if (this.closed) throw new ApiError('unavailable', 'SNCA Studio is shutting down.');
    const path = resolvePath(req.path);
    let isFile: boolean;
    try {
      isFile = statSync(path).isFile();
    } catch {
      throw ApiError.notFound(`File ${path}`);
    }
    if (!isFile) throw new ApiError('invalid_input', `${path} is not a file; choose the checkpoint file (.pth, .pth.tar, .tar or .t7).`);
    const name = req.name !== undefined ? this.claimName(req.name) : this.defaultName(path);
    let entry: WorkerEntry;
    try {
      entry = this.deps.importEntry ?? resolveWorkerEntry('model-import-worker');
    } catch (err) {
      throw new ApiError('unavailable', `Could not start the model import worker: ${messageOf(err)}`);
    }
    const id = newModelId();
    const stagingDir = join(this.deps.paths.modelsDir, `${STAGING_PREFIX}${this.deps.pid}-${id}`);
    const fileName = basename(path);
    let resolveDone!: (p: ModelImportProgress) => void;
    const done = new Promise<ModelImportProgress>((r) => (resolveDone = r));
    const job: ImportJob = {
      id,
      name,
      fileName,
      stagingDir,
      sha256: null,
      refusal: null,
      phaseStartedAt: this.deps.now(),
      last: { jobId: id, name, fileName, phase: 'hash', bytes: 0, totalBytes: statSync(path).size, bytesPerSec: 0 },
      done,
      handle: startModelImportJob(
        { entry, timing: this.deps.timing, diagnostics: this.deps.diagnostics },
        `model import ${id}`,
        { path, stagingDir },
        {
          progress: (phase, bytes, totalBytes) => this.progress(job, { phase, bytes, totalBytes }),
          hashed: (sha256) => this.onHashed(job, sha256),
        },
      ),
    };
    this.imports.set(id, job);
    this.deps.bus.emit('model.importProgress', job.last);
    void job.handle.ended.then((outcome) => {
      const end = this.finishImport(job, outcome);
      this.imports.delete(id);
      this.deps.importEnded?.(path);
      resolveDone(end);
    });
    return { jobId: id, name };
  }

  cancelImport(jobId: string): { cancelled: boolean } {
    const job = this.imports.get(jobId);
    if (!job) return { cancelled: false };
    job.handle.cancel();
    return { cancelled: true };
  }

  /** The import's last progress (phase done, error or cancelled) once it has ended. */
  async whenImportEnded(jobId: string): Promise<ModelImportProgress | undefined> {
    return this.imports.get(jobId)?.done;
  }

  async update(change: ModelUpdate): Promise<Model> {
    const { store, bus } = this.deps;
    const model = this.get(change.id);
    const name = change.name !== undefined && change.name !== model.name ? this.claimName(change.name) : undefined;
    let trainFolder = change.trainFolder;
    if (trainFolder !== undefined && trainFolder !== null) {
      trainFolder = resolvePath(trainFolder);
      let isDir = false;
      try {
        isDir = statSync(trainFolder).isDirectory();
      } catch {
        // reported below
      }
      if (!isDir) throw new ApiError('invalid_input', `The train folder ${trainFolder} does not exist or is not a folder.`, [{ path: 'trainFolder', message: 'not a folder' }]);
    }
    const folder = trainFolder !== undefined ? trainFolder : model.trainFolder;
    const classNames = change.classNames !== undefined ? change.classNames : model.classNames;
    if (folder !== null && (trainFolder !== undefined || change.classNames !== undefined)) await this.checkTrainFolder(model, folder, classNames);
    store.models.update(model.id, {
      ...(name !== undefined ? { name } : {}),
      ...(trainFolder !== undefined ? { trainFolder } : {}),
      ...(change.classNames !== undefined ? { classNames: change.classNames } : {}),
    });
    const updated = this.get(model.id);
    bus.emit('model.changed', updated);
    return updated;
  }

  /**
   * Bank row i is the i-th image of the train folder in ImageFolder order, so the folder must
   * hold exactly as many images as the bank has rows, and as many class folders as there are
   * class names when they are given.
   */
  private async checkTrainFolder(model: Model, folder: string, classNames: readonly string[] | null): Promise<void> {
    let index;
    try {
      index = await indexImageFolder(folder, { cacheDir: join(this.deps.paths.home, 'cache', 'datasets'), sniff: false });
    } catch (err) {
      if (err instanceof DatasetError) throw new ApiError('invalid_input', `The train folder is not an ImageFolder: ${err.message}`, [{ path: 'trainFolder', message: err.message }]);
      throw err;
    }
    const images = index.files.length;
    if (model.bankRows !== null && images !== model.bankRows) {
      const message = `${folder} holds ${images} images but the bank of ${model.name} has ${model.bankRows} rows; bank row i is the i-th train image (ImageFolder order), so choose the folder of exactly the ${model.bankRows} images the model was trained on.`;
      throw new ApiError('invalid_input', message, [{ path: 'trainFolder', message: `${images} images, ${model.bankRows} bank rows` }]);
    }
    if (classNames !== null && classNames.length !== index.classes.length) {
      const message = `${folder} has ${index.classes.length} class folders but ${classNames.length} class names are given; give one name per class folder (label order), or none.`;
      throw new ApiError('invalid_input', message, [{ path: 'classNames', message: `${classNames.length} names, ${index.classes.length} class folders` }]);
    }
  }

  remove(id: string): { id: string; removed: boolean; bytesFreed: number } {
    const model = this.get(id);
    // Its evaluation's worker writes under the model's folder: the folder goes once it ends.
    const evaluating = this.deps.store.evaluations.runningOfModel(id);
    if (evaluating.length > 0) throw new ApiError('conflict', `${model.name} is being evaluated (evaluation ${evaluating.join(', ')}); cancel that first, then remove it.`);
    this.deps.store.models.delete(id);
    rmSync(this.deps.paths.modelDir(id), { recursive: true, force: true });
    this.deps.bus.emit('model.removed', { id });
    return { id, removed: true, bytesFreed: model.storedBytes };
  }

  async embed(ref: string, images: readonly string[]): Promise<Embeddings> {
    if (this.closed) throw new ApiError('unavailable', 'SNCA Studio is shutting down.');
    const { network, source } = this.resolveNetwork(ref.trim());
    let entry: WorkerEntry;
    try {
      entry = this.deps.embedEntry ?? resolveWorkerEntry('embed-worker');
    } catch (err) {
      throw new ApiError('unavailable', `Could not start the embedding worker: ${messageOf(err)}`);
    }
    const job: EmbedJob = {
      network,
      images: images.map((p) => resolvePath(p)),
      ...(this.deps.backend ? { backend: this.deps.backend } : {}),
    };
    // An embedding takes a device like a run (one job per GPU), or the CPU's embedding slot.
    const subject = `embedding with ${source.label}`;
    const slot = await this.slotFor(subject);
    if (!slot) throw new ApiError('unavailable', 'SNCA Studio is shutting down.');
    let outcome;
    try {
      const handle = startEmbedJob({ entry, timing: this.deps.timing, diagnostics: this.deps.diagnostics }, subject, job, slot.device ? pinningFor(slot.device) : undefined);
      this.embeddings.add(handle);
      outcome = await handle.ended;
      this.embeddings.delete(handle);
    } finally {
      this.slots.release(slot);
    }
    if (outcome.status !== 'completed') {
      if (outcome.status === 'failed') throw new ApiError('invalid_input', outcome.error ?? 'The embedding failed.');
      throw new ApiError('unavailable', outcome.error ?? `The embedding was ${outcome.status}.`);
    }
    const { dim, data, transform, backend, arch } = outcome.result;
    const embeddings: number[][] = [];
    for (let i = 0; i < images.length; i++) embeddings.push(Array.from(data.subarray(i * dim, (i + 1) * dim)));
    return { source: { ...source, arch }, transform, dim, embeddings, backend };
  }

  /** A slot for an embedding, as soon as one is free; null once the service closes. */
  private slotFor(holder: string): Promise<Slot | null> {
    const now = this.waitingForSlot.length === 0 ? this.slots.acquire('embedding', holder) : null;
    if (now) return Promise.resolve(now);
    return new Promise((take) => this.waitingForSlot.push({ holder, take }));
  }

  private offerSlots(): void {
    while (this.waitingForSlot.length > 0) {
      const next = this.waitingForSlot[0]!;
      const slot = this.slots.acquire('embedding', next.holder);
      if (!slot) return;
      this.waitingForSlot.shift();
      next.take(slot);
    }
  }

  /** Stops running imports (their staging folders are deleted) and embeddings. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waitingForSlot.splice(0)) w.take(null);
    const reason = 'SNCA Studio was closed during the job.';
    for (const j of this.imports.values()) j.handle.interrupt(reason);
    for (const h of this.embeddings) h.interrupt(reason);
    await Promise.all([...[...this.imports.values()].map((j) => j.done), ...[...this.embeddings].map((h) => h.ended)]);
  }

  private resolveNetwork(ref: string): { network: EmbedJob['network']; source: { kind: 'model' | 'checkpoint'; label: string } } {
    const { store, paths } = this.deps;
    const model = store.models.byName(ref) ?? (/^[a-z0-9]{1,32}$/.test(ref) ? store.models.get(ref) : undefined);
    if (model) {
      return {
        network: { kind: 'model', weightsPath: join(paths.modelDir(model.id), MODEL_WEIGHTS_FILE), arch: model.arch, config: model.config },
        source: { kind: 'model', label: model.name },
      };
    }
    if (store.runs.get(ref)) {
      const row = preferredCheckpoint(store.checkpoints.list(ref));
      if (!row) throw new ApiError('conflict', `Run ${ref} has no checkpoint yet; embed with it after its first epoch.`);
      return { network: { kind: 'checkpoint', path: row.path, expectedSha256: row.sha256 }, source: { kind: 'checkpoint', label: `run ${ref} (${row.kind}, epoch ${row.epoch})` } };
    }
    const path = resolvePath(ref);
    const row = store.checkpoints.findByPath(path);
    if (row || existsSync(path)) {
      return { network: { kind: 'checkpoint', path, expectedSha256: row?.sha256 ?? null }, source: { kind: 'checkpoint', label: path } };
    }
    throw new ApiError('not_found', `No imported model, run or checkpoint file is named "${ref}".`);
  }

  private progress(job: ImportJob, p: { phase: ModelImportProgress['phase']; bytes: number; totalBytes: number }): void {
    if (p.phase !== job.last.phase) job.phaseStartedAt = this.deps.now();
    const seconds = (this.deps.now() - job.phaseStartedAt) / 1000;
    const bytesPerSec = seconds > 0 ? p.bytes / seconds : 0;
    job.last = { jobId: job.id, name: job.name, fileName: job.fileName, ...p, bytesPerSec };
    this.deps.bus.emit('model.importProgress', job.last);
  }

  private onHashed(job: ImportJob, sha256: string): void {
    job.sha256 = sha256;
    const existing = this.deps.store.models.bySha256(sha256);
    const twin = [...this.imports.values()].find((j) => j !== job && j.sha256 === sha256);
    if (existing) {
      job.refusal = `${job.fileName} was imported before, as model "${existing.name}" (id ${existing.id}, ${existing.importedAt}); it is not imported twice.`;
    } else if (twin) {
      job.refusal = `${job.fileName} is being imported already, as model "${twin.name}"; it is not imported twice.`;
    }
    if (job.refusal) job.handle.cancel();
  }

  private finishImport(job: ImportJob, outcome: Awaited<ImportJob['handle']['ended']>): ModelImportProgress {
    const base = { jobId: job.id, name: job.name, fileName: job.fileName, bytes: job.last.bytes, totalBytes: job.last.totalBytes, bytesPerSec: 0 };
    let end: ModelImportProgress;
    if (outcome.status === 'completed' && !job.refusal) {
      try {
        const model = this.record(job, outcome.result);
        end = { ...base, phase: 'done', modelId: model.id, message: `Imported ${job.fileName} as model "${model.name}".` };
        this.deps.bus.emit('model.changed', model);
      } catch (err) {
        end = { ...base, phase: 'error', message: `${job.fileName} could not be recorded: ${messageOf(err)}` };
      }
    } else if (job.refusal) {
      end = { ...base, phase: 'error', message: job.refusal };
    } else if (outcome.status === 'cancelled') {
      end = { ...base, phase: 'cancelled', message: `The import of ${job.fileName} was cancelled; nothing was kept.` };
    } else {
      end = { ...base, phase: 'error', message: ('error' in outcome ? outcome.error : null) ?? `The import of ${job.fileName} ${outcome.status === 'interrupted' ? 'was interrupted' : 'failed'}.` };
    }
    if (end.phase !== 'done') this.removeStaging(job.stagingDir);
    this.deps.bus.emit('model.importProgress', end);
    return end;
  }

  /** Inserts the row and moves the staged files into place, both or neither. */
  private record(job: ImportJob, files: ImportedFiles): Model {
    const { store, paths } = this.deps;
    const target = paths.modelDir(job.id);
    return store.transaction(() => {
      const existing = store.models.bySha256(files.sha256);
      if (existing) throw new ApiError('conflict', `the file was imported meanwhile as model "${existing.name}"`);
      const name = store.models.byName(job.name) ? this.defaultName(job.name) : job.name;
      const model = store.models.insert({
        id: job.id,
        name,
        importedAt: new Date(this.deps.now()).toISOString(),
        ...files,
      });
      renameSync(job.stagingDir, target);
      return model;
    });
  }

  /** Refuses a name another model has or an import of this process has claimed. */
  private claimName(name: string): string {
    const trimmed = name.trim();
    const existing = this.deps.store.models.byName(trimmed);
    if (existing) throw new ApiError('conflict', `A model named "${trimmed}" exists already (imported from ${existing.fileName}); choose another name.`);
    if ([...this.imports.values()].some((j) => j.name === trimmed)) throw new ApiError('conflict', `A model named "${trimmed}" is being imported; choose another name.`);
    return trimmed;
  }

  /** The file name without its torch extensions, made unique with " (2)", " (3)"… */
  private defaultName(path: string): string {
    const stem = basename(path).replace(TORCH_EXTENSIONS, '').trim() || 'model';
    const taken = this.deps.store.models.names();
    for (const j of this.imports.values()) taken.add(j.name);
    if (!taken.has(stem)) return stem;
    for (let n = 2; ; n++) {
      const candidate = `${stem} (${n})`;
      if (!taken.has(candidate)) return candidate;
    }
  }

  private removeStaging(dir: string): void {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch (err) {
      this.deps.diagnostics(`could not delete the staging folder ${dir}: ${messageOf(err)}`);
    }
  }

  /** Staging folders whose process is gone will never be finished. */
  private removeAbandonedStaging(): void {
    for (const name of readdirSync(this.deps.paths.modelsDir)) {
      const m = /^\.import-(\d+)-/.exec(name);
      if (!m) continue;
      const pid = Number(m[1]);
      if (pid !== this.deps.pid && this.deps.isAlive(pid)) continue;
      this.removeStaging(join(this.deps.paths.modelsDir, name));
    }
  }
}

function newModelId(): string {
  return randomBytes(8).toString('hex');
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
