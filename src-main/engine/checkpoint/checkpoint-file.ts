/**
 * Reading a run checkpoint back: the file's sha256 is checked against the one recorded
 * when it was written, the header is parsed with a schema, and every failure names the
 * path. Writing lives in ../train/checkpoint-writer.ts.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { RunConfigSchema, type RunConfig } from '../../../shared/run-config.ts';
import { describeIssues, issuesOf } from '../../../shared/validation.ts';
import { sha256Of } from './atomic-file.ts';
import { decodeSafetensors, SafetensorsError, type NamedTensor } from './safetensors.ts';

export const CHECKPOINT_FORMAT = 'snca-checkpoint';
export const CHECKPOINT_VERSION = 1;
/** Tensor names besides the model's state_dict entries. */
export const MEMORY_TENSOR = 'memory_bank';
export const MOMENTUM_PREFIX = 'optimizer.momentum_buffer.';

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

const jsonString = <S extends z.ZodType>(schema: S) =>
  z.string().transform((s, ctx) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
      return z.NEVER;
    }
  }).pipe(schema);

const MetadataSchema = z.object({
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

export interface LoadedCheckpoint {
  path: string;
  sha256: string;
  header: CheckpointHeader;
  tensors: Map<string, NamedTensor>;
}

export function readCheckpoint(path: string, opts: { expectedSha256?: string } = {}): LoadedCheckpoint {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CheckpointError(path, code === 'ENOENT' ? 'the checkpoint file does not exist' : `cannot be read (${code ?? String(err)})`);
  }
  const sha256 = sha256Of(buf);
  if (opts.expectedSha256 && opts.expectedSha256 !== sha256) {
    throw new CheckpointError(path, `sha256 mismatch: recorded ${opts.expectedSha256}, file has ${sha256}; the file is corrupt or was replaced`);
  }
  let decoded;
  try {
    decoded = decodeSafetensors(buf, path);
  } catch (err) {
    if (err instanceof SafetensorsError) throw new CheckpointError(path, err.message.replace(`${path}: `, ''));
    throw err;
  }
  const meta = MetadataSchema.safeParse(decoded.metadata);
  if (!meta.success) {
    throw new CheckpointError(path, `not an SNCA Studio checkpoint header: ${describeIssues(issuesOf(meta.error))}`);
  }
  const known = new Set(Object.keys(MetadataSchema.shape));
  const extra = Object.fromEntries(Object.entries(decoded.metadata).filter(([k]) => !known.has(k)));
  return { path, sha256, header: { ...meta.data, extra }, tensors: decoded.tensors };
}
