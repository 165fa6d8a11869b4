/**
 * The embedding job (image files through a network's val transform) and the messages the
 * embed worker_thread posts (what it is sent is job-protocol.ts), parsed on both sides.
 */
import { z } from 'zod';
import { BackendNameSchema } from '../../shared/domain.ts';
import { ModelConfigSchema } from '../../shared/models.ts';
import { ArchSchema } from '../../shared/run-config.ts';

/** An imported model's weights file (safetensors, reference names), built with its recorded config. */
export const ImportedNetworkSchema = z.object({ kind: z.literal('model'), weightsPath: z.string(), arch: ArchSchema, config: ModelConfigSchema });
export type ImportedNetwork = z.infer<typeof ImportedNetworkSchema>;

export const EmbedJobSchema = z.object({
  network: z.discriminatedUnion('kind', [
    ImportedNetworkSchema,
    /** A checkpoint of ours: its header says the architecture; checked against its recorded sha256 when known. */
    z.object({ kind: z.literal('checkpoint'), path: z.string(), expectedSha256: z.string().nullable() }),
  ]),
  images: z.array(z.string()).min(1),
  backend: BackendNameSchema.optional(),
});
export type EmbedJob = z.infer<typeof EmbedJobSchema>;

export const FromEmbedWorkerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('started'), backend: BackendNameSchema, device: z.string() }),
  z.object({ type: z.literal('progress'), done: z.int().min(0), total: z.int().min(0) }),
  z.object({
    type: z.literal('result'),
    arch: ArchSchema,
    transform: z.string(),
    dim: z.int().min(1),
    /** Row-major, one row of `dim` floats per image. */
    data: z.instanceof(Float32Array),
  }),
  z.object({ type: z.literal('cancelled') }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
export type FromEmbedWorker = z.infer<typeof FromEmbedWorkerSchema>;
