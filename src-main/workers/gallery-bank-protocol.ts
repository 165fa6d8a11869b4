/**
 * The gallery bank job (embedding a dataset's train and val splits with one feature source)
 * and the messages its worker_thread posts (what it is sent is job-protocol.ts).
 */
import { z } from 'zod';
import { BackendNameSchema } from '../../shared/domain.ts';
import { DatasetSpecSchema } from '../../shared/run-config.ts';
import { BankMetaSchema } from '../engine/eval/gallery-bank.ts';
import { ImportedNetworkSchema } from './embed-protocol.ts';

export const GalleryBankJobSchema = z.object({
  source: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('checkpoint'), checkpointPath: z.string(), expectedSha256: z.string().nullable() }),
    z.object({ kind: z.literal('raw') }),
    ImportedNetworkSchema,
  ]),
  dataset: DatasetSpecSchema,
  /** An existing train bank (an imported model's) linked instead of embedding the train split. */
  trainBank: z.object({ file: z.string(), rows: z.int().min(1), dim: z.int().min(1) }).optional(),
  /** Folder the bank is written to (absolute); replaced when the job completes. */
  dir: z.string(),
  backend: BackendNameSchema.optional(),
});
export type GalleryBankJob = z.infer<typeof GalleryBankJobSchema>;

export const FromGalleryBankWorkerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('started'), backend: BackendNameSchema, device: z.string() }),
  z.object({ type: z.literal('log'), message: z.string() }),
  z.object({ type: z.literal('progress'), done: z.int().min(0), total: z.int().min(0) }),
  z.object({ type: z.literal('done'), meta: BankMetaSchema }),
  z.object({ type: z.literal('cancelled') }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
export type FromGalleryBankWorker = z.infer<typeof FromGalleryBankWorkerSchema>;
