/**
 * The model import job and the messages the model-import worker_thread posts (what it is
 * sent is job-protocol.ts), parsed on both sides.
 */
import { z } from 'zod';
import { MODEL_FORMATS, MODEL_LAYOUTS, ModelConfigSchema } from '../../shared/models.ts';
import { ArchSchema } from '../../shared/run-config.ts';

export const ModelImportJobSchema = z.object({
  /** The PyTorch file (absolute). */
  path: z.string(),
  /** Where the worker writes the weights and the bank; the service moves or deletes it. */
  stagingDir: z.string(),
});
export type ModelImportWorkerJob = z.infer<typeof ModelImportJobSchema>;

const nullableNumber = z.number().nullable();

export const ImportedModelFilesSchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  fileBytes: z.int().min(0),
  fileName: z.string(),
  arch: ArchSchema,
  config: ModelConfigSchema,
  layout: z.enum(MODEL_LAYOUTS),
  format: z.enum(MODEL_FORMATS),
  epoch: z.int().nullable(),
  accuracy: nullableNumber,
  temperature: nullableNumber,
  momentum: nullableNumber,
  bankRows: z.int().min(0).nullable(),
  bankDim: z.int().min(1).nullable(),
  storedBytes: z.int().min(0),
});

export const FromModelImportWorkerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('progress'), phase: z.enum(['hash', 'read', 'copy']), bytes: z.number().min(0), totalBytes: z.number().min(0) }),
  z.object({ type: z.literal('hashed'), sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.int().min(0) }),
  z.object({ type: z.literal('result'), files: ImportedModelFilesSchema }),
  z.object({ type: z.literal('cancelled') }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
export type FromModelImportWorker = z.infer<typeof FromModelImportWorkerSchema>;
