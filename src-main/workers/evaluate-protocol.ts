/**
 * The evaluation job and the messages the evaluation worker_thread posts (what it is sent is
 * job-protocol.ts), parsed on both sides.
 */
import { z } from 'zod';
import { BackendNameSchema } from '../../shared/domain.ts';
import { ArchSchema, DatasetSpecSchema } from '../../shared/run-config.ts';
import { ModelConfigSchema } from '../../shared/models.ts';

/** An imported model evaluated instead of a checkpoint (engine/eval/checkpoint-evaluation.ts ImportedModelSpec). */
export const ImportedModelJobSchema = z.object({
  name: z.string(),
  weightsPath: z.string(),
  arch: ArchSchema,
  config: ModelConfigSchema,
  bankPath: z.string(),
  bankRows: z.int().min(0),
  bankDim: z.int().min(1),
});

export const EvaluateJobSchema = z.object({
  checkpointPath: z.string(),
  expectedSha256: z.string().nullable(),
  dataset: DatasetSpecSchema,
  k: z.int().min(1),
  sigma: z.number().positive(),
  recomputeMemory: z.boolean(),
  backend: BackendNameSchema.optional(),
  /** Where the worker writes the per-sample results file (absolute). */
  samplesPath: z.string().optional(),
  /** Evaluate this imported model (checkpointPath is then its weights file). */
  model: ImportedModelJobSchema.optional(),
});
export type EvaluateJob = z.infer<typeof EvaluateJobSchema>;

export const EvaluateResultSchema = z.object({
  top1: z.number(),
  top5: z.number(),
  nnTop1: z.number(),
  samples: z.int(),
  perClass: z.array(z.object({ class: z.int(), name: z.string(), correct: z.int(), count: z.int() })),
  confusion: z.array(z.tuple([z.int(), z.int(), z.int()])),
  wallSeconds: z.number(),
});

export const FromEvaluateWorkerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('started'), backend: BackendNameSchema, device: z.string() }),
  z.object({ type: z.literal('log'), message: z.string() }),
  /** Images of a split embedded so far. */
  z.object({ type: z.literal('progress'), phase: z.enum(['val', 'train']), done: z.int().min(0), total: z.int().min(0) }),
  z.object({ type: z.literal('result'), result: EvaluateResultSchema }),
  /** It stopped on a cancel request. */
  z.object({ type: z.literal('cancelled') }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
export type FromEvaluateWorker = z.infer<typeof FromEvaluateWorkerSchema>;
