/** Records the API returns: runs, metrics, logs, checkpoints. */
import { z } from 'zod';
import { MONITOR_KEYS, RunConfigSchema } from './run-config.ts';

/** A run is active while queued or running; resume moves an ended run back to queued. */
export const ACTIVE_STATUSES = ['queued', 'running'] as const;
export const ENDED_STATUSES = ['completed', 'failed', 'cancelled', 'interrupted'] as const;
/** Ended states a run can be resumed from (a completed run has nothing left to train). */
export const RESUMABLE_STATUSES = ['interrupted', 'failed', 'cancelled'] as const satisfies readonly EndedStatus[];
export const RUN_STATUSES = [...ACTIVE_STATUSES, ...ENDED_STATUSES] as const;
export const RunStatusSchema = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof RunStatusSchema>;
export type ActiveStatus = (typeof ACTIVE_STATUSES)[number];
export type EndedStatus = (typeof ENDED_STATUSES)[number];
export type ResumableStatus = (typeof RESUMABLE_STATUSES)[number];

function isOneOf<S extends RunStatus>(list: readonly S[], status: RunStatus): status is S {
  return (list as readonly RunStatus[]).includes(status);
}
export const isActiveStatus = (status: RunStatus): status is ActiveStatus => isOneOf(ACTIVE_STATUSES, status);
export const isEndedStatus = (status: RunStatus): status is EndedStatus => isOneOf(ENDED_STATUSES, status);
export const isResumableStatus = (status: RunStatus): status is ResumableStatus => isOneOf(RESUMABLE_STATUSES, status);

/** Compute backends, in the order they are tried when none is forced (webgpu only on a hardware adapter unless forced). */
export const BACKEND_NAMES = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export const BackendNameSchema = z.enum(BACKEND_NAMES);
export type BackendName = z.infer<typeof BackendNameSchema>;

/** The npm packages each backend needs (webgpu: the tfjs backend and Dawn's bindings). */
export const BACKEND_PACKAGES: Record<BackendName, readonly string[]> = {
  'tensorflow-gpu': ['@tensorflow/tfjs-node-gpu'],
  webgpu: ['@tensorflow/tfjs-backend-webgpu', 'webgpu'],
  tensorflow: ['@tensorflow/tfjs-node'],
  wasm: ['@tensorflow/tfjs-backend-wasm'],
  cpu: ['@tensorflow/tfjs-backend-cpu'],
};

export const RunIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a run id is 1–64 letters, digits, _ or -');

/**
 * Every metric key written: per step `loss`; per epoch `train_loss` (mean loss), `images_per_sec`,
 * `epoch_seconds` and, on evaluated epochs, the kNN accuracies (fractions in [0, 1]); `gpu_util`
 * (percent) and `gpu_mem_mb` from the hardware sampler. The order is the display order.
 */
export const ACCURACY_METRIC_KEYS = ['knn_top1', 'knn_top5', 'nn_top1'] as const;
export const METRIC_KEYS = [
  'loss',
  'train_loss',
  'lr',
  ...ACCURACY_METRIC_KEYS,
  'images_per_sec',
  'epoch_seconds',
  'gpu_util',
  'gpu_mem_mb',
] as const;
export const MetricKeySchema = z.enum(METRIC_KEYS);
export type MetricKey = z.infer<typeof MetricKeySchema>;
const monitorKeysAreAccuracies: readonly (typeof ACCURACY_METRIC_KEYS)[number][] = MONITOR_KEYS;
void monitorKeysAreAccuracies;

export function isAccuracyKey(key: string): boolean {
  return (ACCURACY_METRIC_KEYS as readonly string[]).includes(key);
}

export const RunSummarySchema = z.object({
  id: RunIdSchema,
  name: z.string(),
  preset: z.string(),
  arch: z.string(),
  datasetKind: z.string(),
  status: RunStatusSchema,
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  error: z.string().nullable(),
  backend: z.string().nullable(),
  device: z.string().nullable(),
  epochs: z.int(),
  /** Epochs finished (0 before the first one ends). */
  epochsDone: z.int(),
  /** Last value of each metric key. */
  metrics: z.record(z.string(), z.number()),
  /** 1-based place in the queue while queued (smaller starts first); null otherwise. */
  queuePosition: z.int().nullable().optional(),
  tags: z.array(z.string()).optional(),
  notes: z.string().optional(),
  /**
   * Change version of the run's row: grows with every change any process stores. Of two
   * snapshots of a run the larger version is the newer one.
   */
  version: z.int(),
});
export type RunSummary = z.infer<typeof RunSummarySchema>;

export const RunDetailSchema = RunSummarySchema.extend({
  config: RunConfigSchema,
});
export type RunDetail = z.infer<typeof RunDetailSchema>;

export const MetricPointSchema = z.object({
  key: MetricKeySchema,
  step: z.int(),
  epoch: z.number(),
  value: z.number(),
  /** Unix milliseconds. */
  wallTime: z.number(),
});
export type MetricPoint = z.infer<typeof MetricPointSchema>;

export const MetricSeriesSchema = z.object({
  key: z.string(),
  /** Parallel arrays (compact on the wire, and what uPlot wants). */
  step: z.array(z.number()),
  epoch: z.array(z.number()),
  value: z.array(z.number()),
  /** Seconds since the run's first metric (compare.series sends it; runs.metrics does not). */
  wall: z.array(z.number()).optional(),
});
export type MetricSeries = z.infer<typeof MetricSeriesSchema>;

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export const LogEntrySchema = z.object({
  id: z.int(),
  runId: RunIdSchema,
  level: z.enum(LOG_LEVELS),
  message: z.string(),
  wallTime: z.number(),
});
export type LogEntry = z.infer<typeof LogEntrySchema>;

/** `latest` is rewritten every epoch, `best` when the monitored metric improves, `epoch` kept every k epochs. */
export const CHECKPOINT_KINDS = ['latest', 'best', 'epoch'] as const;
export type CheckpointKind = (typeof CHECKPOINT_KINDS)[number];

export const CheckpointSchema = z.object({
  id: z.int(),
  runId: RunIdSchema,
  epoch: z.int(),
  kind: z.enum(CHECKPOINT_KINDS),
  path: z.string(),
  sha256: z.string(),
  bytes: z.int(),
  metrics: z.record(z.string(), z.number()),
  createdAt: z.string(),
});
export type Checkpoint = z.infer<typeof CheckpointSchema>;

export const ProgressSchema = z.object({
  runId: RunIdSchema,
  phase: z.enum(['starting', 'train', 'eval', 'checkpoint']),
  epoch: z.int(),
  epochs: z.int(),
  iteration: z.int(),
  iterations: z.int(),
  imagesPerSec: z.number(),
  /** Seconds until the run ends, estimated; null before the first measurement. */
  etaSeconds: z.number().nullable(),
});
export type Progress = z.infer<typeof ProgressSchema>;

export const RunTagSchema = z.string().trim().min(1).max(40);

export const EVALUATION_STATUSES = ['running', 'completed', 'failed', 'cancelled'] as const;

/** Weighted-kNN evaluation of one checkpoint on a dataset's val split (the reference's `-e`). */
export const EvaluationSchema = z.object({
  id: z.int(),
  runId: RunIdSchema.nullable(),
  checkpointId: z.int().nullable(),
  checkpointPath: z.string(),
  checkpointSha256: z.string(),
  checkpointEpoch: z.int().nullable(),
  /** The imported model evaluated instead of a checkpoint of ours (checkpointPath is then its weights file, checkpointSha256 its imported file's). */
  modelId: z.string().nullable(),
  /** The dataset spec evaluated on (its val split). */
  dataset: z.record(z.string(), z.unknown()),
  k: z.int(),
  sigma: z.number(),
  recomputeMemory: z.boolean(),
  status: z.enum(EVALUATION_STATUSES),
  /** Fractions in [0, 1]; null until completed. */
  top1: z.number().nullable(),
  top5: z.number().nullable(),
  nnTop1: z.number().nullable(),
  samples: z.int().nullable(),
  perClass: z.array(z.object({ class: z.int(), name: z.string(), correct: z.int(), count: z.int() })).nullable(),
  /** Sparse confusion counts: [true class, predicted class, count]. */
  confusion: z.array(z.tuple([z.int(), z.int(), z.int()])).nullable(),
  wallSeconds: z.number().nullable(),
  error: z.string().nullable(),
  backend: z.string().nullable(),
  createdAt: z.string(),
  endedAt: z.string().nullable(),
  /** True when an earlier completed evaluation with the same key was returned instead of a new job. */
  reused: z.boolean().optional(),
});
export type Evaluation = z.infer<typeof EvaluationSchema>;

export const EvaluationProgressSchema = z.object({
  id: z.int(),
  /** The split being embedded: val (the queries), then train when its features are recomputed. */
  phase: z.enum(['val', 'train']),
  done: z.int().min(0),
  total: z.int().min(0),
});
export type EvaluationProgress = z.infer<typeof EvaluationProgressSchema>;

export const GpuSampleSchema = z.object({
  index: z.int(),
  name: z.string(),
  /** Percent 0–100. */
  utilization: z.number(),
  memoryUsedMb: z.number(),
  memoryTotalMb: z.number(),
});
export type GpuSample = z.infer<typeof GpuSampleSchema>;

export const HardwareSchema = z.object({
  backend: BackendNameSchema,
  /** CPU model, or the GPU name when a GPU backend is in use. */
  device: z.string(),
  cpuCount: z.int(),
  /** null when nvidia-smi is not available on this machine. */
  gpus: z.array(GpuSampleSchema).nullable(),
  /** Why gpus is null (e.g. "nvidia-smi not found"). */
  gpuNote: z.string().nullable(),
});
export type Hardware = z.infer<typeof HardwareSchema>;

/** One backend as `snca doctor` and the hardware panel show it. */
export const BackendDiagnosisSchema = z.object({
  backend: BackendNameSchema,
  /** Its npm packages resolve. */
  installed: z.boolean(),
  /** It started in the probe (a software WebGPU adapter counts: see `software`). */
  loads: z.boolean(),
  device: z.string().nullable(),
  /** A software adapter (SwiftShader, llvmpipe): used only when forced with SNCA_BACKEND=webgpu. */
  software: z.boolean(),
  /** Measured by one short matmul probe; null when it does not load. */
  gflops: z.number().nullable(),
  /** Matrix side of that probe. */
  probeSize: z.int().nullable(),
  /** Why it is missing or not chosen by default; null when it just works. */
  reason: z.string().nullable(),
  /** What to do about `reason`. */
  fix: z.string().nullable(),
});
export type BackendDiagnosis = z.infer<typeof BackendDiagnosisSchema>;

export const DoctorReportSchema = z.object({
  backends: z.array(BackendDiagnosisSchema),
  /** What a new run picks on this machine (the default order, or SNCA_BACKEND). */
  chosen: BackendNameSchema.nullable(),
  /** Unix milliseconds of the probe (the report is cached until refreshed). */
  measuredAt: z.number(),
  platform: z.string(),
});
export type DoctorReport = z.infer<typeof DoctorReportSchema>;
