/**
 * What an SNCA Studio checkpoint holds besides the safetensors container: the header
 * metadata keys (parsed with a schema when read) and the names of the non-model tensors.
 * Shared by the writer (../train/checkpoint-writer.ts) and the reader (checkpoint-reader.ts).
 */
import { z } from 'zod';
import { RunConfigSchema, type RunConfig } from '../../../shared/run-config.ts';

export const CHECKPOINT_FORMAT = 'snca-checkpoint';
export const CHECKPOINT_VERSION = 1;
/** Tensor names besides the model's state_dict entries. */
export const MEMORY_TENSOR = 'memory_bank';
export const MOMENTUM_PREFIX = 'optimizer.momentum_buffer.';

const jsonString = <S extends z.ZodType>(schema: S) =>
  z.string().transform((s, ctx) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
      return z.NEVER;
    }
  }).pipe(schema);

/** The safetensors `__metadata__` of a checkpoint (all values are strings in the file). */
export const CheckpointMetadataSchema = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  version: z.coerce.number().int().refine((v) => v <= CHECKPOINT_VERSION, {
    message: `was written by a newer SNCA Studio (this one reads up to version ${CHECKPOINT_VERSION})`,
  }),
  arch: z.string(),
  epoch: z.coerce.number().int().min(0),
  step: z.coerce.number().int().min(0),
  config: jsonString(RunConfigSchema),
  metrics: jsonString(z.record(z.string(), z.number())),
});

export interface CheckpointHeader {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  arch: string;
  epoch: number;
  step: number;
  config: RunConfig;
  metrics: Record<string, number>;
  /** Extra metadata keys (e.g. RNG state) the header carried, unparsed. */
  extra: Record<string, string>;
}
