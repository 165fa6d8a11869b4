/**
 * The training job and the messages the training worker_thread posts (what it is sent is
 * job-protocol.ts). Both sides parse them with these schemas: a worker is a separate
 * program as far as trust goes (it may be killed halfway through a postMessage or run a
 * different build).
 */
import { z } from 'zod';
import { RunConfigSchema } from '../../shared/run-config.ts';
import { BackendNameSchema, CheckpointSchema, LOG_LEVELS, MetricPointSchema, ProgressSchema } from '../../shared/domain.ts';

export const TrainJobSchema = z.object({
  runId: z.string(),
  config: RunConfigSchema,
  /** Folder for this run's files (checkpoints/ lives below it). */
  runDir: z.string(),
  /** Force a backend; otherwise the best available is chosen. */
  backend: BackendNameSchema.optional(),
  /** Continue the run from this checkpoint (its sha256 as recorded in the database is verified). */
  resumeFrom: z.object({ path: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/).optional() }).optional(),
});
export type TrainJob = z.infer<typeof TrainJobSchema>;

export const FromWorkerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('started'), backend: BackendNameSchema, device: z.string(), detail: z.string() }),
  z.object({ type: z.literal('progress'), progress: ProgressSchema.omit({ runId: true }) }),
  z.object({ type: z.literal('metrics'), points: z.array(MetricPointSchema) }),
  z.object({ type: z.literal('log'), level: z.enum(LOG_LEVELS), message: z.string() }),
  z.object({
    type: z.literal('checkpoint'),
    checkpoint: CheckpointSchema.omit({ id: true, runId: true, createdAt: true }),
  }),
  z.object({ type: z.literal('done'), status: z.enum(['completed', 'cancelled']) }),
  z.object({ type: z.literal('error'), message: z.string(), detail: z.string().optional() }),
]);
export type FromWorker = z.infer<typeof FromWorkerSchema>;
