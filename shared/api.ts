/**
 * The contract: every API method (input, output) and event (payload), declared once.
 * Electron IPC, serve mode (HTTP + WebSocket) and the renderer's client all derive
 * from this object; no method or channel name is written anywhere else.
 */
import { z } from 'zod';
import { DatasetSpecSchema, RunConfigSchema } from './run-config.ts';
import {
  DatasetDownloadInputSchema,
  DatasetImportInputSchema,
  DatasetJobSchema,
  DatasetProgressSchema,
  DatasetValidationSchema,
} from './datasets.ts';
import type { ApiErrorPayload } from './api-error.ts';
import { DoctorReportSchema, EvaluationProgressSchema, EvaluationSchema, HardwareSchema, RunTagSchema } from './domain.ts';
import { RunsQueryInputSchema, RunsQueryResultSchema, RunsValuesInputSchema, RunsValuesResultSchema } from './run-table.ts';
import { RunsListInputSchema, RunsListResultSchema } from './runs-list.ts';
import { ClusterNameSchema, ClusterSchema, SlurmResourceOverridesSchema } from './cluster.ts';
import { SweepAxisSchema } from './sweep.ts';
import { CompareSeriesInputSchema, CompareSeriesResultSchema } from './compare-series.ts';
import { AllowedDevicesSchema, DevicesStateSchema } from './compute-devices.ts';
import {
  GalleryBankEventSchema,
  GalleryExportInputSchema,
  GalleryResultSchema,
  GallerySearchInputSchema,
  GallerySourceInfoSchema,
} from './gallery.ts';
import {
  EmbedInputSchema,
  EmbeddingsSchema,
  ModelIdSchema,
  ModelImportInputSchema,
  ModelImportJobSchema,
  ModelImportProgressSchema,
  ModelSchema,
  ModelUpdateInputSchema,
} from './models.ts';
import { UploadLimitsSchema } from './uploads.ts';
import {
  CompareCheckpointsInputSchema,
  CompareCheckpointsResultSchema,
  CompareNeighboursInputSchema,
  NeighbourPanelSchema,
} from './checkpoint-compare.ts';
import {
  BackendNameSchema,
  CheckpointSchema,
  LogEntrySchema,
  MetricPointSchema,
  MetricSeriesSchema,
  ProgressSchema,
  RunDetailSchema,
  RunIdSchema,
  RunSummarySchema,
} from './domain.ts';


const Empty = z.object({}).strict();
/** Runs whose folders one runs.diskUsage call may walk. */
export const RUNS_DISK_USAGE_MAX = 1000;
const RunRef = z.object({ id: RunIdSchema }).strict();

export const PresetSchema = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  offline: z.boolean(),
  /** The preset's complete config with defaults applied. */
  config: RunConfigSchema,
});

export const SystemInfoSchema = z.object({
  version: z.string(),
  dataHome: z.string(),
  /** Backends importable on this machine, best first. */
  backends: z.array(BackendNameSchema),
  /** The one new runs will use. */
  backend: BackendNameSchema,
  platform: z.string(),
  /** 'electron' or 'serve'. */
  shell: z.enum(['electron', 'serve']),
});

function method<I extends z.ZodType, O extends z.ZodType>(input: I, output: O, summary: string) {
  return { input, output, summary };
}

export const methods = {
  'system.info': method(Empty, SystemInfoSchema, 'Version, data folder and compute backends.'),
  'presets.list': method(Empty, z.array(PresetSchema), 'Presets of the paper recipes and the offline demo.'),
  'runs.list': method(
    RunsListInputSchema,
    RunsListResultSchema,
    'One page of runs, newest first: at most `limit` (200) older than the cursor `before`; the first page also holds every queued and running run. `total` counts all runs, `next` is the cursor of the following page (null at the end).',
  ),
  'runs.query': method(
    RunsQueryInputSchema,
    RunsQueryResultSchema,
    'One page of runs filtered by a runs query (e.g. `arch = resnet18 and knn_top1 > 0.9 and tag:baseline`), sorted by any field, with chosen config and metric columns (best, last, epoch of best).',
  ),
  'runs.values': method(
    RunsValuesInputSchema,
    RunsValuesResultSchema,
    'The chosen config and metric columns of every run a runs query matches (up to 5,000, newest first), with only id and name: for plotting a sweep.',
  ),
  'runs.get': method(RunRef, RunDetailSchema, 'One run with its config.'),
  'runs.create': method(
    z.object({ config: RunConfigSchema }).strict(),
    RunSummarySchema,
    'Validate a config, store the run as queued and hand it to the scheduler.',
  ),
  'runs.cancel': method(RunRef, RunSummarySchema, 'Stop a queued or running run; it ends cancelled.'),
  'runs.metrics': method(
    z
      .object({
        id: RunIdSchema,
        keys: z.array(z.string().min(1).max(64)).max(32).optional(),
        /** Downsample each series to at most this many points (min/max preserving). */
        maxPoints: z.int().min(2).max(100000).default(2000),
      })
      .strict(),
    z.array(MetricSeriesSchema),
    'Metric series of a run, downsampled on the main side.',
  ),
  'runs.logs': method(
    z
      .object({ id: RunIdSchema, afterId: z.int().min(0).default(0), limit: z.int().min(1).max(5000).default(500) })
      .strict(),
    z.array(LogEntrySchema),
    'Log lines of a run after a cursor.',
  ),
  'runs.checkpoints': method(RunRef, z.array(CheckpointSchema), 'Checkpoints of a run.'),
  'runs.resume': method(
    z
      .object({
        id: RunIdSchema,
        checkpointId: z.int().min(1).optional(),
        /**
         * The reference's --start-epoch with --resume: accepted only when it is the epoch the
         * run continues at (that of its checkpoint, 0 without one); anything else is refused.
         */
        startEpoch: z.int().min(0).max(10000).optional(),
      })
      .strict(),
    RunSummarySchema,
    'Continue an interrupted, failed or cancelled run from its latest (or the given) checkpoint; it is queued again under the same id.',
  ),
  'runs.locate': method(
    z.object({ ref: z.string().min(1).max(4096) }).strict(),
    z.object({ runId: RunIdSchema, checkpointId: z.int().nullable() }).nullable(),
    'The run a reference names: a run id of this database (checkpointId null), or the path of a checkpoint file one of its runs recorded (that checkpoint); null for anything else.',
  ),
  'runs.reorder': method(
    z.object({ ids: z.array(RunIdSchema).min(1).max(1000) }).strict(),
    z.array(RunSummarySchema),
    'Reorder queued runs: the listed ones take the queue places they held, in the order given. Returns the queued runs in queue order.',
  ),
  'runs.removeQueued': method(RunRef, z.object({ id: RunIdSchema, removed: z.boolean() }), 'Delete a run that is still queued (it never ran); conflict once it started.'),
  'runs.update': method(
    z
      .object({
        id: RunIdSchema,
        name: z.string().trim().min(1).max(120).optional(),
        tags: z.array(RunTagSchema).max(32).optional(),
        notes: z.string().max(20000).optional(),
      })
      .strict(),
    RunSummarySchema,
    'Rename a run, set its tags or its notes.',
  ),
  'runs.delete': method(RunRef, z.object({ id: RunIdSchema, deleted: z.boolean(), bytesFreed: z.int() }), 'Delete an ended run with its metrics, logs, checkpoints, evaluations and files (refused while queued or running).'),
  'runs.export': method(
    z.object({ id: RunIdSchema, format: z.enum(['csv', 'json']) }).strict(),
    z.object({ filename: z.string(), mediaType: z.string(), content: z.string() }),
    'Config and every metric row of a run as one CSV (kind,key,step,epoch,value,wall_time) or JSON document.',
  ),
  'runs.diskUsage': method(
    z.object({ ids: z.array(RunIdSchema).max(RUNS_DISK_USAGE_MAX) }).strict(),
    z.array(z.object({ id: RunIdSchema, bytes: z.int() })),
    `Bytes each of these runs uses on disk (its runs/<id>/ folder; at most ${RUNS_DISK_USAGE_MAX} runs a call, unknown ids left out): a walk of every file, so a page asks only for the runs it shows.`,
  ),
  'evaluations.create': method(
    z
      .object({
        /** A checkpoint row; or a run, whose best (else latest) checkpoint is evaluated; or a checkpoint file. */
        checkpointId: z.int().min(1).optional(),
        runId: RunIdSchema.optional(),
        /** A checkpoint file, recorded by a run of this database or not. */
        path: z.string().min(1).max(4096).optional(),
        /** An imported model, by name or id: its weights embed the val split, its bank (rows labelled by its train folder) is the train side. */
        model: z.string().trim().min(1).max(120).optional(),
        k: z.int().min(1).max(1000).default(30),
        /** Default: the checkpoint config's sigma, else its temperature. */
        sigma: z.number().positive().max(100).optional(),
        recomputeMemory: z.boolean().default(false),
        /** Default: the checkpoint config's dataset. */
        dataset: DatasetSpecSchema.optional(),
        /** Run it as a Slurm job on this registered cluster: the checkpoint must be one a run of that cluster wrote there. */
        cluster: ClusterNameSchema.optional(),
        /** With cluster: overrides of its Slurm defaults. */
        resources: SlurmResourceOverridesSchema.optional(),
      })
      .strict()
      .refine((v) => [v.checkpointId, v.runId, v.path, v.model].filter((x) => x !== undefined).length === 1, { message: 'give exactly one of checkpointId, runId, path or model' }),
    EvaluationSchema,
    'Weighted-kNN evaluation of a checkpoint or an imported model on a val split; an earlier completed one with the same checkpoint (or model file) sha256, dataset, K, sigma and recompute is reused.',
  ),
  'evaluations.list': method(z.object({ runId: RunIdSchema }).strict(), z.array(EvaluationSchema), 'Evaluations of a run, newest first.'),
  'evaluations.cancel': method(
    z.object({ id: z.int().min(1) }).strict(),
    EvaluationSchema,
    'Stop an evaluation this process runs or has waiting; it ends cancelled (a running one once its worker stops).',
  ),
  'compare.series': method(
    CompareSeriesInputSchema,
    CompareSeriesResultSchema,
    'Curves of 1–50 runs against step, epoch or wall time: whole when short, else each bucket of one grid shared by all runs keeps its lowest and highest point (read from the roll-up of long series).',
  ),
  'compare.checkpoints': method(
    CompareCheckpointsInputSchema,
    CompareCheckpointsResultSchema,
    'Compare 2–4 checkpoints and imported models on the same val split, K and sigma: stored evaluations are reused, missing ones start as evaluation jobs (ready is false until they complete); then accuracies, McNemar per pair, per-class accuracy, changed confusion pairs and disagreements.',
  ),
  'compare.neighbours': method(
    CompareNeighboursInputSchema,
    z.array(NeighbourPanelSchema),
    'One val image of a checkpoint comparison: for each evaluation its prediction and top-K train neighbours (similarity, label, whether it voted for the winning class).',
  ),
  'system.hardware': method(Empty, HardwareSchema, 'Backend, device and (where nvidia-smi exists) GPU utilisation and memory.'),
  'system.doctor': method(
    z.object({ refresh: z.boolean().optional() }).strict(),
    DoctorReportSchema,
    'Every backend: installed, loads, device, measured matmul GFLOP/s, and the reason and fix when missing (probed once, cached until refresh).',
  ),  'system.devices': method(Empty, DevicesStateSchema, 'The GPUs found, which ones jobs may use (settings or --devices), and the job each one runs.'),
  'system.setDevices': method(
    z.object({ allowed: AllowedDevicesSchema }).strict(),
    DevicesStateSchema,
    'Saves which device indices jobs may use (null: all) in the settings and applies it now; running jobs keep their device.',
  ),

  'datasets.validate': method(
    z.object({ spec: DatasetSpecSchema }).strict(),
    DatasetValidationSchema,
    'Quick layout check of a dataset (seconds): ok with a summary, or the message naming the path and the problem.',
  ),
  'datasets.download': method(
    DatasetDownloadInputSchema,
    DatasetJobSchema,
    'Start downloading the official CIFAR archive (md5-checked, resumable) into a folder; progress comes as dataset.progress.',
  ),
  'datasets.import': method(
    DatasetImportInputSchema,
    DatasetJobSchema,
    'Start extracting a local CIFAR .tar.gz (no network); progress comes as dataset.progress.',
  ),
  'datasets.cancelDownload': method(
    z.object({ jobId: z.string().min(1).max(64) }).strict(),
    z.object({ cancelled: z.boolean() }),
    'Stop a download or import job (a partial download is kept and resumed next time).',
  ),
  'runs.submit': method(
    z
      .object({
        config: RunConfigSchema,
        /** One run per combination (`lr=0.1,0.05` × `temperature=0.05,0.1`), tagged `sweep:<id>`. */
        sweep: z.array(SweepAxisSchema).max(8).default([]),
        /** Where: this machine (absent) or a registered cluster, with overrides of its Slurm defaults. */
        cluster: ClusterNameSchema.optional(),
        resources: SlurmResourceOverridesSchema.optional(),
        /** On a cluster: resubmit each run interrupted by a time limit, preemption or node failure at most this often (default: the cluster's setting). */
        autoResubmit: z.int().min(0).max(20).optional(),
      })
      .strict(),
    z.object({ sweep: z.string().nullable(), runs: z.array(RunSummarySchema) }),
    'Start a run or a sweep on this machine (queued) or on a cluster (one Slurm job, a job array for a sweep).',
  ),
  'runs.cluster': method(
    RunRef,
    z.nullable(z.object({
      cluster: z.string(),
      jobId: z.int().nullable(),
      arrayTask: z.int().nullable(),
      slurmState: z.string().nullable(),
      runDir: z.string(),
      script: z.string().nullable(),
      resubmits: z.int(),
      /** How often it is resubmitted automatically at most (its own setting, else its cluster's). */
      autoResubmit: z.int(),
    })),
    'Where a cluster run runs: its Slurm job, state, folder on the cluster and the submitted sbatch script; null for a run on this machine.',
  ),
  'checkpoints.fetch': method(
    z.object({ id: z.int() }).strict(),
    CheckpointSchema,
    "Copy a cluster run's checkpoint to this machine, verified by sha256; the copy is recorded as a checkpoint of the run.",
  ),
  // ---- checkpoint export (k2-torch-io)
  'checkpoints.export': method(
    z
      .object({
        /** A run id (its best, else latest checkpoint) or the path of a checkpoint file of ours. */
        ref: z.string().min(1).max(4096),
        format: z.enum(['pth', 'safetensors']),
        /** Output file; default next to the checkpoint, `<name>.reference.pth|safetensors`. */
        out: z.string().min(1).max(4096).optional(),
      })
      .strict(),
    z.object({
      path: z.string(),
      format: z.enum(['pth', 'safetensors']),
      bytes: z.int(),
      sha256: z.string(),
      /** The checkpoint file exported. */
      source: z.string(),
      runId: RunIdSchema.nullable(),
      arch: z.string(),
      epoch: z.int(),
      /** Best monitored top-1 in percent, as the reference's best_prec1. */
      bestPrec1: z.number(),
      bankRows: z.int(),
    }),
    "Write a checkpoint of ours in the reference's PyTorch layout: state_dict under module.-prefixed reference names, lemniscate {params: [T, momentum], memory: the bank}, epoch, arch, best_prec1; .pth is torch's zip format, loadable with torch.load(..., weights_only=True).",
  ),
  'clusters.list': method(Empty, z.array(ClusterSchema), 'Registered Slurm clusters.'),
  'clusters.add': method(ClusterSchema.omit({ createdAt: true }).strict(), ClusterSchema, 'Register a Slurm cluster: how to reach it, its work folder, Slurm defaults.'),
  'clusters.remove': method(z.object({ name: ClusterNameSchema }).strict(), z.object({ name: z.string(), removed: z.boolean() }), 'Forget a cluster no run of this database uses.'),
  'clusters.check': method(
    z.object({ name: ClusterNameSchema, install: z.boolean().default(false) }).strict(),
    z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string() })),
    'Verify route, Slurm, partition, work folder, app install (installing it with install: true) and a compute node; each failing step says what to fix.',
  ),
  // ---- gallery (nearest-neighbour galleries) ----
  'gallery.sources': method(Empty, z.array(GallerySourceInfoSchema), 'Feature sources a gallery can show: the checkpoints of our runs and the raw-image baseline.'),
  'gallery.search': method(
    GallerySearchInputSchema,
    GalleryResultSchema,
    "Top-k train images most similar to a train or val image of a dataset, one row per source, exact. A source without a bank for the dataset starts computing it as a job (status computing, progress as gallery.bank); search again once it completed.",
  ),
  'gallery.cancelBank': method(z.object({ jobId: z.string().min(1).max(64) }).strict(), z.object({ cancelled: z.boolean() }), 'Stop a bank job; nothing is cached.'),
  'gallery.export': method(
    GalleryExportInputSchema,
    z.object({ filename: z.string(), mediaType: z.string(), content: z.string() }),
    'Several queries × several sources as one standalone HTML page, images inlined as data: URIs, viewable offline (every bank must be ready).',
  ),
  // ---- imported models and embeddings
  'models.import': method(
    ModelImportInputSchema,
    ModelImportJobSchema,
    'Start importing a PyTorch checkpoint of the reference (legacy or zip serialisation, ImageNet .pth.tar or CIFAR pickled modules): sha256 (a file imported before is refused, naming its model), weights converted by the reference names, the feature bank kept as a float32 file; progress comes as model.importProgress, a failed or cancelled import leaves nothing.',
  ),
  'models.cancelImport': method(z.object({ jobId: z.string().min(1).max(64) }).strict(), z.object({ cancelled: z.boolean() }), 'Stop an import job; nothing of it is kept.'),
  'models.list': method(Empty, z.array(ModelSchema), 'Imported models with their provenance, newest first.'),
  'models.get': method(z.object({ id: ModelIdSchema }).strict(), ModelSchema, 'One imported model.'),
  'models.remove': method(z.object({ id: ModelIdSchema }).strict(), z.object({ id: ModelIdSchema, removed: z.boolean(), bytesFreed: z.int() }), 'Forget an imported model and delete its files.'),
  'models.update': method(ModelUpdateInputSchema, ModelSchema, 'Rename a model, point it at the train folder its bank rows come from (ImageFolder order), or set its class names.'),
  'models.embed': method(
    EmbedInputSchema,
    EmbeddingsSchema,
    "Embeddings of image files with an imported model (name or id), a run (its best, else latest checkpoint) or a checkpoint file of ours, through the reference's val transform (ImageNet: resize 256, center crop 224, normalize; CIFAR: normalize, 32×32 images).",
  ),
  // ---- uploads (serve mode's POST /uploads/<kind>, shared/uploads.ts)
  'uploads.limits': method(Empty, UploadLimitsSchema, 'The largest image and checkpoint file this core accepts as an upload, in bytes.'),
} as const;

export const events = {
  /** A run was created or its status, metrics summary or metadata changed. */
  'run.changed': RunSummarySchema,
  'run.progress': ProgressSchema,
  'run.metrics': z.object({ runId: RunIdSchema, points: z.array(MetricPointSchema) }),
  'run.log': LogEntrySchema,
  /** A run was deleted (or removed from the queue): clients drop it. */
  'run.removed': z.object({ id: RunIdSchema }),
  /** An evaluation started, finished or failed. */
  'evaluation.changed': EvaluationSchema,
  /** A running evaluation's images embedded so far: its val split, then (recomputing) its train split. */
  'evaluation.progress': EvaluationProgressSchema,
  /** A dataset download or import job moved on (phases download → verify → extract → done | error). */
  'dataset.progress': DatasetProgressSchema,
  /** A gallery bank job moved on (running with progress, then completed | failed | cancelled | interrupted). */
  'gallery.bank': GalleryBankEventSchema,
  /** A model import job moved on (phases hash → read → copy → done | error | cancelled). */
  'model.importProgress': ModelImportProgressSchema,
  /** A model was imported, renamed or pointed at its train folder. */
  'model.changed': ModelSchema,
  /** A model was removed: clients drop it. */
  'model.removed': z.object({ id: ModelIdSchema }),
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type MethodInput<M extends MethodName> = z.input<Methods[M]['input']>;
export type MethodParsedInput<M extends MethodName> = z.output<Methods[M]['input']>;
export type MethodOutput<M extends MethodName> = z.output<Methods[M]['output']>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.output<Events[E]>;

export const METHOD_NAMES = Object.keys(methods) as MethodName[];

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(methods, name);
}

/** What a transport-agnostic client looks like: the renderer and tests program against this. */
export interface ApiClient {
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/** What the main side implements: one handler per method, given parsed input. */
export type ApiHandlers = {
  [M in MethodName]: (input: MethodParsedInput<M>) => Promise<MethodOutput<M>> | MethodOutput<M>;
};

/** Transport names derived from the contract (HTTP paths, IPC channels). */
export const transportNames = {
  httpPath: (m: MethodName) => `/api/${m}`,
  ipcChannel: (m: MethodName) => `snca:${m}`,
  ipcEventChannel: 'snca:event',
  wsPath: '/events',
} as const;

export const EventEnvelopeSchema = z.object({ event: z.string(), payload: z.unknown() });
export type EventEnvelope = { [E in EventName]: { event: E; payload: EventPayload<E> } }[EventName];

/** How every transport answers a call. */
export type CallResult<T> = { ok: true; result: T } | { ok: false; error: ApiErrorPayload };

/**
 * What the Electron preload exposes on `window[PRELOAD_GLOBAL]`: one named function per
 * contract method (built by iterating `methods`), and an event subscription. Never ipcRenderer.
 */
export interface PreloadBridge {
  methods: { [M in MethodName]: (input: MethodInput<M>) => Promise<CallResult<MethodOutput<M>>> };
  onEvent(listener: (envelope: EventEnvelope) => void): () => void;
}
export const PRELOAD_GLOBAL = 'sncaBridge';

/**
 * Serve mode wire format: `POST /api/<method>` with the JSON input as body and header
 * `Authorization: Bearer <token>`; the answer is a CallResult as JSON (HTTP 200 when ok,
 * otherwise the status of the error code, HTTP_STATUS_OF in api-error.ts). Events: WebSocket
 * at `/events?token=<token>`, each message an EventEnvelope. The page is opened as
 * `http://127.0.0.1:PORT/?token=<token>`.
 */
