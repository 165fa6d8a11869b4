/**
 * Checkpoint evaluations (weighted kNN on a val split, the reference's `-e`). A request is
 * resolved to a checkpoint file + its recorded sha256, a dataset spec (default: the one the
 * checkpoint was trained on), K and sigma (default: the checkpoint config's sigma, else its
 * temperature). A completed evaluation with the same (sha256, dataset, K, sigma, recompute)
 * is returned as is (`reused: true`); otherwise a row is stored `running` and its job waits
 * for a slot (scheduling/device-slots.ts): a device of its own where the app uses GPUs, else
 * one evaluation at a time per process beside training; it runs in a supervised worker. Cancel ends a waiting evaluation at once and asks a running one to stop; either
 * ends `cancelled`.
 *
 * With `cluster`, the evaluation runs there as a Slurm job instead (clusters/
 * cluster-evaluations-service.ts carries it and brings its outcome back): its checkpoint is one
 * of a cluster run's, read on the cluster; defaults come from the run's config; its result is
 * recorded here like a local one.
 *
 * An imported model is evaluated the same way and cached by the same key, its imported
 * file's sha256 standing for the checkpoint's: its weights embed the val split, its bank is
 * the train side (row i = train image i, so the dataset must be the one its train folder
 * belongs to: model-dataset.ts); defaults are that dataset and the model's temperature.
 */
import { existsSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { ApiError } from '../../shared/api-error.ts';
import type { SlurmResourcesInput } from '../../shared/cluster.ts';
import type { BackendName, Checkpoint, Evaluation } from '../../shared/domain.ts';
import type { Model } from '../../shared/models.ts';
import { MODEL_BANK_FILE, MODEL_WEIGHTS_FILE } from '../acquire/torch-model-import.ts';
import { assertBankEvaluable, modelEvaluationDefaults } from './model-dataset.ts';
import { DatasetSpecSchema, effectiveSigma, RunConfigSchema, type DatasetSpecInput, type RunConfig } from '../../shared/run-config.ts';
import { issuesOf } from '../../shared/validation.ts';
import { CheckpointError, fileSha256, readCheckpointHeader } from '../engine/checkpoint/checkpoint-reader.ts';
import type { Store } from '../store/store.ts';
import type { EvaluationKey } from '../store/evaluations-repository.ts';
import type { EvaluateJob } from '../workers/evaluate-protocol.ts';
import { resolveWorkerEntry, type WorkerEntry } from '../workers/worker-entry.ts';
import type { ClusterEvaluationsService } from './clusters/cluster-evaluations-service.ts';
import type { EventBus } from './event-bus.ts';
import { samplesRelativePath } from './evaluation-samples-path.ts';
import { startEvaluationJob, type EvaluationJobHandle, type EvaluationOutcome } from './jobs/evaluation-job.ts';
import { DEFAULT_JOB_TIMING, type JobTiming } from './jobs/job-supervisor.ts';
import { pinningFor } from './scheduling/device-pinning.ts';
import { DeviceSlots, type Slot } from './scheduling/device-slots.ts';
import { imageFolderFingerprint } from '../engine/data/image-folder-fingerprint.ts';

export interface EvaluationsDeps {
  store: Store;
  bus: EventBus;
  pid: number;
  now(): number;
  isAlive(pid: number): boolean;
  diagnostics(line: string): void;
  /** Default: the built or source `evaluate-worker`. */
  entry?: WorkerEntry;
  backend?: BackendName;
  /** Cancel and exit grace periods of the worker (default DEFAULT_JOB_TIMING). */
  timing?: JobTiming;
  /** The data folder; evaluations write their per-sample results under it (none without it). */
  home?: string;
  /** The slots shared with training (default: one unpinned evaluation slot of its own). */
  slots?: DeviceSlots;
  /** The folder of an imported model's files (none: models cannot be evaluated). */
  modelDir?: (id: string) => string;
  /** Runs evaluations asked for on a cluster (none: refused). */
  cluster?: Pick<ClusterEvaluationsService, 'submit' | 'cancel' | 'owns'>;
}

export interface EvaluationRequest {
  checkpointId?: number | undefined;
  runId?: string | undefined;
  /** A checkpoint file (the CLI); its row is used when the database records it. */
  path?: string | undefined;
  k?: number | undefined;
  sigma?: number | undefined;
  recomputeMemory?: boolean | undefined;
  dataset?: DatasetSpecInput | undefined;
  /** Run it as a job on this registered cluster (the checkpoint must be one of its runs'). */
  cluster?: string | undefined;
  /** With `cluster`: overrides of its Slurm defaults. */
  resources?: Partial<SlurmResourcesInput> | undefined;
  /** An imported model, by name or id, instead of a checkpoint. */
  model?: string | undefined;
}

interface Target {
  runId: string | null;
  checkpointId: number | null;
  path: string;
  sha256: string;
  /** Recorded in the database (checked by the worker) or computed here from the file. */
  recorded: boolean;
  epoch: number | null;
  /** The imported model evaluated (then path is its weights file, sha256 its imported file's). */
  model?: Model;
}

export class EvaluationsService {
  /** Evaluations stored `running` whose job has not started yet, in order. */
  private readonly waiting: { id: number; job: EvaluateJob }[] = [];
  private readonly active = new Map<number, { handle: EvaluationJobHandle; slot: Slot }>();
  private readonly slots: DeviceSlots;
  private readonly waiters = new Map<number, ((e: Evaluation) => void)[]>();
  private closed = false;

  constructor(private readonly deps: EvaluationsDeps) {
    this.slots = deps.slots ?? new DeviceSlots([]);
    this.slots.onFreed(() => this.startNext());
    // Evaluations left running by a dead process will never finish.
    for (const e of deps.store.evaluations.listRunning()) {
      // A cluster evaluation goes on without this process; the cluster poll follows it.
      if (deps.store.clusters.getEvaluation(e.id)) continue;
      if (e.ownerPid === null || !deps.isAlive(e.ownerPid)) {
        deps.store.evaluations.fail(e.id, 'The process running this evaluation stopped before it finished.', new Date(deps.now()).toISOString());
      }
    }
  }

  list(runId: string): Evaluation[] {
    if (!this.deps.store.runs.get(runId)) throw ApiError.notFound(`Run ${runId}`);
    return this.deps.store.evaluations.listByRun(runId);
  }

  get(id: number): Evaluation {
    const e = this.deps.store.evaluations.get(id);
    if (!e) throw ApiError.notFound(`Evaluation ${id}`);
    return e;
  }

  async create(req: EvaluationRequest): Promise<Evaluation> {
    if (this.closed) throw new ApiError('unavailable', 'SNCA Studio is shutting down.');
    const onCluster = req.cluster !== undefined;
    if (!onCluster && req.resources) throw ApiError.invalidInput([{ path: 'resources', message: 'Slurm resources only apply to an evaluation on a cluster' }]);
    if (onCluster && req.model !== undefined) throw ApiError.invalidInput([{ path: 'cluster', message: 'an imported model is evaluated on this machine, not on a cluster' }]);
    const target = req.model !== undefined ? this.resolveModelTarget(req.model) : onCluster ? this.resolveClusterTarget(req, req.cluster!) : await this.resolveTarget(req);
    const defaults = target.model ? modelEvaluationDefaults(target.model, req) : configDefaults(onCluster ? this.runConfig(target.runId!) : readHeaderConfig(target.path));
    const datasetParsed = DatasetSpecSchema.safeParse(req.dataset ?? defaults.dataset);
    if (!datasetParsed.success) throw ApiError.invalidInput(issuesOf(datasetParsed.error), 'dataset');
    const dataset = datasetParsed.data;
    if (target.model) assertBankEvaluable(target.model, dataset);
    const key: EvaluationKey = {
      checkpointSha256: target.sha256,
      datasetJson: canonicalJson(dataset),
      datasetState: datasetStateOf(dataset),
      k: req.k ?? 30,
      sigma: req.sigma ?? defaults.sigma,
      recomputeMemory: req.recomputeMemory ?? false,
    };
    const { store, bus } = this.deps;
    const cached = store.evaluations.findCompleted(key);
    if (cached) return { ...cached, reused: true };
    const running = store.evaluations.findRunning(key, this.deps.pid);
    if (running) return running;
    const row = store.evaluations.insert({
      ...key,
      runId: target.runId,
      checkpointId: target.checkpointId,
      checkpointPath: target.path,
      checkpointEpoch: target.epoch,
      modelId: target.model?.id ?? null,
      createdAt: new Date(this.deps.now()).toISOString(),
      ownerPid: this.deps.pid,
    });
    if (onCluster) return this.submitToCluster(row, key, dataset, req.cluster!, req.resources);
    bus.emit('evaluation.changed', row);
    const job: EvaluateJob = {
      checkpointPath: target.path,
      expectedSha256: target.sha256,
      dataset,
      k: key.k,
      sigma: key.sigma,
      recomputeMemory: key.recomputeMemory,
      ...(this.deps.backend ? { backend: this.deps.backend } : {}),
      ...(this.deps.home ? { samplesPath: join(this.deps.home, samplesRelativePath(target.runId, row.id, row.modelId)) } : {}),
      ...(target.model ? { model: this.modelJob(target.model) } : {}),
    };
    this.waiting.push({ id: row.id, job });
    this.startNext();
    return row;
  }

  /**
   * Cancels an evaluation of this process: a waiting one ends `cancelled` at once, a running
   * one is asked to stop and ends `cancelled` when its worker does (it is terminated after
   * the grace period). Returns the evaluation as it is now.
   */
  async cancel(id: number): Promise<Evaluation> {
    const e = this.get(id);
    if (this.deps.cluster?.owns(id)) {
      if (e.status !== 'running') throw new ApiError('conflict', `Evaluation ${id} has already ended (${e.status}); only a running evaluation can be cancelled.`);
      await this.deps.cluster.cancel(id);
      return this.get(id);
    }
    const active = this.active.get(id);
    if (active) {
      active.handle.cancel();
      return e;
    }
    const at = this.waiting.findIndex((w) => w.id === id);
    if (at >= 0) {
      this.waiting.splice(at, 1);
      this.record(id, { status: 'cancelled', error: null });
      return this.get(id);
    }
    if (e.status !== 'running') {
      throw new ApiError('conflict', `Evaluation ${id} has already ended (${e.status}); only a running evaluation can be cancelled.`);
    }
    throw new ApiError('conflict', `Evaluation ${id} is run by another SNCA Studio process; cancel it there.`);
  }

  /** Resolves when the evaluation is no longer running. */
  whenDone(id: number): Promise<Evaluation> {
    const e = this.get(id);
    if (e.status !== 'running') return Promise.resolve(e);
    return new Promise((resolve) => {
      const list = this.waiters.get(id) ?? [];
      list.push(resolve);
      this.waiters.set(id, list);
    });
  }

  /** Ends waiting evaluations and interrupts the running one; all end `failed`, saying why. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const { id } of this.waiting.splice(0)) this.record(id, { status: 'failed', error: 'SNCA Studio was closed before the evaluation started.' });
    const active = [...this.active.values()];
    for (const a of active) a.handle.interrupt('SNCA Studio was closed while the evaluation was running.');
    await Promise.all(active.map((a) => a.handle.ended));
  }

  /** How a cluster evaluation ended (its job's result, read back by the cluster service). */
  recordClusterOutcome(id: number, outcome: EvaluationOutcome): void {
    this.record(id, outcome);
  }

  private async submitToCluster(row: Evaluation, key: EvaluationKey, dataset: EvaluateJob['dataset'], cluster: string, resources: Partial<SlurmResourcesInput> | undefined): Promise<Evaluation> {
    const submitter = this.deps.cluster;
    try {
      if (!submitter) throw new ApiError('unavailable', 'This process runs no cluster evaluations.');
      await submitter.submit(
        row,
        { checkpointPath: row.checkpointPath, expectedSha256: key.checkpointSha256, dataset, k: key.k, sigma: key.sigma, recomputeMemory: key.recomputeMemory, ...(this.deps.backend ? { backend: this.deps.backend } : {}) },
        cluster,
        resources,
      );
    } catch (err) {
      // Refused before Slurm accepted it: nothing is left behind, not even the row.
      this.deps.store.evaluations.deleteRunning(row.id);
      throw err;
    }
    this.deps.bus.emit('evaluation.changed', row);
    return row;
  }

  /** A cluster evaluation's checkpoint: one a run of that cluster wrote there (read on the cluster, not here). */
  private resolveClusterTarget(req: EvaluationRequest, cluster: string): Target {
    const { store } = this.deps;
    let row = this.checkpointNamed(req, (c) => !isFetchedCopy(c, store.clusters.getRun(c.runId)?.runDir));
    if (!row && req.path !== undefined) {
      row = store.checkpoints.findByPath(req.path);
      if (!row) throw new ApiError('invalid_input', `${req.path} is not a checkpoint recorded by a run of cluster ${cluster}; a cluster evaluation reads a checkpoint its runs wrote there.`);
    }
    if (!row) throw new ApiError('invalid_input', 'Give a checkpoint id, a run id or a checkpoint file.');
    const clusterRun = store.clusters.getRun(row.runId);
    if (!clusterRun || clusterRun.cluster !== cluster || isFetchedCopy(row, clusterRun.runDir)) {
      throw new ApiError(
        'invalid_input',
        `Checkpoint ${row.id} (${row.path}) is not on cluster ${cluster}: a cluster evaluation reads a checkpoint that a run of that cluster wrote there; evaluate this one here (without a cluster).`,
      );
    }
    return { runId: row.runId, checkpointId: row.id, path: row.path, sha256: row.sha256, recorded: true, epoch: row.epoch };
  }

  /** The checkpoint a request names by id, or by run (its preferred one among `eligible`); undefined when it names none that way. */
  private checkpointNamed(req: EvaluationRequest, eligible: (c: Checkpoint) => boolean = () => true): Checkpoint | undefined {
    const { store } = this.deps;
    if (req.checkpointId !== undefined) {
      const row = store.checkpoints.get(req.checkpointId);
      if (!row) throw ApiError.notFound(`Checkpoint ${req.checkpointId}`);
      return row;
    }
    if (req.runId === undefined) return undefined;
    if (!store.runs.get(req.runId)) throw ApiError.notFound(`Run ${req.runId}`);
    const row = preferredCheckpoint(store.checkpoints.list(req.runId).filter(eligible));
    if (!row) throw new ApiError('conflict', `Run ${req.runId} has no checkpoint yet; evaluate it after its first epoch.`);
    return row;
  }

  private runConfig(runId: string): RunConfig {
    const parsed = RunConfigSchema.safeParse(JSON.parse(this.deps.store.runs.configJson(runId) ?? 'null'));
    if (!parsed.success) throw new ApiError('internal', `Run ${runId}: its stored config does not parse`);
    return parsed.data;
  }

  /** An imported model by name or id: its weights file stands for the checkpoint, its imported file's sha256 for the key. */
  private resolveModelTarget(ref: string): Target & { model: Model } {
    const { store } = this.deps;
    const model = store.models.byName(ref) ?? store.models.get(ref);
    if (!model) throw ApiError.notFound(`Imported model ${ref}`);
    return { runId: null, checkpointId: null, path: this.modelFile(model.id, MODEL_WEIGHTS_FILE), sha256: model.sha256, recorded: true, epoch: model.epoch, model };
  }

  /** What the worker needs of a model assertBankEvaluable accepted (so it has a bank). */
  private modelJob(m: Model): NonNullable<EvaluateJob['model']> {
    if (m.bankRows === null || m.bankDim === null) throw new ApiError('internal', `${m.name} has no feature bank to evaluate`);
    return { name: m.name, weightsPath: this.modelFile(m.id, MODEL_WEIGHTS_FILE), arch: m.arch, config: m.config, bankPath: this.modelFile(m.id, MODEL_BANK_FILE), bankRows: m.bankRows, bankDim: m.bankDim };
  }

  private modelFile(id: string, file: string): string {
    if (!this.deps.modelDir) throw new ApiError('unavailable', 'This process has no data folder to read imported models from.');
    return join(this.deps.modelDir(id), file);
  }

  private async resolveTarget(req: EvaluationRequest): Promise<Target> {
    const { store } = this.deps;
    let row = this.checkpointNamed(req);
    if (!row && req.path !== undefined) {
      const path = resolvePath(req.path);
      row = store.checkpoints.findByPath(path);
      if (!row) {
        if (!existsSync(path)) throw ApiError.notFound(`Checkpoint file ${path}`);
        return { runId: null, checkpointId: null, path, sha256: fileSha256(path), recorded: false, epoch: null };
      }
    }
    if (!row) throw new ApiError('invalid_input', 'Give a checkpoint id, a run id or a checkpoint file.');
    if (!existsSync(row.path)) throw new ApiError('not_found', `The checkpoint file ${row.path} does not exist any more.`);
    return { runId: row.runId, checkpointId: row.id, path: row.path, sha256: row.sha256, recorded: true, epoch: row.epoch };
  }

  /** Starts waiting evaluations while a slot is free. */
  private startNext(): void {
    while (!this.closed && this.waiting.length > 0) {
      const slot = this.slots.acquire('evaluation', `evaluation ${this.waiting[0]!.id}`);
      if (!slot) return;
      const next = this.waiting.shift()!;
      let entry: WorkerEntry;
      try {
        entry = this.deps.entry ?? resolveWorkerEntry('evaluate-worker');
      } catch (err) {
        this.record(next.id, { status: 'failed', error: `Could not start the evaluation worker: ${err instanceof Error ? err.message : String(err)}` });
        this.slots.release(slot);
        continue;
      }
      const deps = { entry, timing: this.deps.timing ?? DEFAULT_JOB_TIMING, diagnostics: this.deps.diagnostics };
      const handle = startEvaluationJob(deps, next.id, next.job, slot.device ? pinningFor(slot.device) : undefined, ({ phase, done, total }) =>
        this.deps.bus.emit('evaluation.progress', { id: next.id, phase, done, total }),
      );
      this.active.set(next.id, { handle, slot });
      void handle.ended.then((outcome) => {
        this.active.delete(next.id);
        this.record(next.id, outcome);
        this.slots.release(slot);
      });
    }
  }

  /** Records the per-sample results file the worker wrote (at the path create() gave it). */
  private recordSamplesFile(id: number): void {
    const { home } = this.deps;
    const e = this.deps.store.evaluations.get(id);
    if (!home || !e) return;
    const rel = samplesRelativePath(e.runId, id, e.modelId);
    if (existsSync(join(home, rel))) this.deps.store.evaluations.setSamplesPath(id, rel);
  }

  /** Stores how an evaluation ended, publishes it and wakes whoever waits for it. */
  private record(id: number, outcome: EvaluationOutcome): void {
    const { store, bus } = this.deps;
    const endedAt = new Date(this.deps.now()).toISOString();
    try {
      try {
        if (outcome.status === 'completed') {
          store.evaluations.complete(id, outcome.result, endedAt);
          this.recordSamplesFile(id);
        } else if (outcome.status === 'cancelled') store.evaluations.cancel(id, endedAt);
        else store.evaluations.fail(id, outcome.error ?? 'The evaluation failed.', endedAt);
      } catch (err) {
        // e.g. another process completed the same evaluation first (one completed row per key).
        store.evaluations.fail(id, `Could not store the result: ${err instanceof Error ? err.message : String(err)}`, endedAt);
      }
      const e = store.evaluations.get(id);
      if (!e) return;
      bus.emit('evaluation.changed', e);
      const list = this.waiters.get(id) ?? [];
      this.waiters.delete(id);
      for (const w of list) w(e);
    } catch (err) {
      this.deps.diagnostics(`evaluation ${id}: could not record its outcome: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/** A checkpoint fetched home from the cluster (recorded outside the run's folder there). */
function isFetchedCopy(c: Checkpoint, clusterRunDir: string | undefined): boolean {
  return clusterRunDir !== undefined && !c.path.startsWith(`${clusterRunDir}/`);
}

/** The best checkpoint of a run, else its latest, else the last epoch one. */
export function preferredCheckpoint(list: readonly Checkpoint[]): Checkpoint | undefined {
  const newest = (kind: Checkpoint['kind']) => list.filter((c) => c.kind === kind).sort((a, b) => b.epoch - a.epoch || b.id - a.id)[0];
  return newest('best') ?? newest('latest') ?? newest('epoch');
}

/**
 * The state of a dataset's files that its spec does not name: an image folder is listed
 * afresh by every evaluation, so its fingerprint (class folders and their mtimes) is part of
 * the cache key, and an evaluation of the folder as it was is not reused once images or
 * classes were added, removed or moved. MNIST and CIFAR are fixed files: ''.
 */
function datasetStateOf(dataset: DatasetSpecInput): string {
  return dataset.kind === 'imagefolder' ? imageFolderFingerprint([join(dataset.root, 'train'), join(dataset.root, 'val')]) : '';
}

/** JSON with sorted keys, so equal specs give equal cache keys. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** A checkpoint's defaults: the dataset it was trained on and its configured sigma (else its temperature). */
function configDefaults(config: RunConfig): { dataset: DatasetSpecInput; sigma: number } {
  return { dataset: config.dataset, sigma: effectiveSigma(config) };
}

/** The run config in a checkpoint's header, read without loading the tensors. */
function readHeaderConfig(path: string): RunConfig {
  try {
    return readCheckpointHeader(path).config;
  } catch (err) {
    if (err instanceof CheckpointError) throw new ApiError('invalid_input', err.message);
    throw err;
  }
}
