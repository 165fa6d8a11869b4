/**
 * Writes a run's checkpoint: the model under the reference PyTorch state_dict names, the
 * memory bank, the SGD momentum buffers and a JSON header (config, epoch, step, metrics)
 * in one safetensors file, atomically, returning its sha256 for the database.
 */
import { join } from 'node:path';
import type { CheckpointKind } from '../../../shared/domain.ts';
import type { RunConfig } from '../../../shared/run-config.ts';
import { encodeSafetensors, type NamedTensor } from '../checkpoint/safetensors.ts';
import { writeFileAtomic, type WrittenFile } from '../checkpoint/atomic-file.ts';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, MEMORY_TENSOR, MOMENTUM_PREFIX } from '../checkpoint/checkpoint-format.ts';
import type { Model } from '../models/model.ts';
import { exportStateDict } from '../models/state-dict.ts';
import type { MemoryBank } from '../nca/memory-bank.ts';
import type { SGD } from '../optim/sgd.ts';

export interface WrittenCheckpoint {
  epoch: number;
  kind: CheckpointKind;
  path: string;
  sha256: string;
  bytes: number;
  metrics: Record<string, number>;
}

export interface CheckpointInput {
  runDir: string;
  config: RunConfig;
  epoch: number;
  step: number;
  model: Model;
  bank: MemoryBank;
  sgd: SGD;
  metrics: Record<string, number>;
  kinds: CheckpointKind[];
  /** Best value of the monitored metric so far (absent before the first evaluation). */
  best?: number;
  /** Training seconds of the run so far (ETA and throughput continue from it on resume). */
  trainedSeconds?: number;
  /** The file writer (tests inject failing ones); default writeFileAtomic. */
  writeFile?: (path: string, chunks: readonly Uint8Array[]) => WrittenFile;
}

/** Metadata key of the best monitored value so far, a JSON number (absent: none yet). */
export const BEST_KEY = 'best';
/** Metadata key describing the data-order/augmentation RNG state (see rng.ts). */
export const RNG_KEY = 'rng';
export const TRAINED_SECONDS_KEY = 'trained_seconds';

/**
 * The shuffling and augmentation randomness has no running state: an epoch's order comes
 * from (seed, epoch) and a sample's augmentation from (seed, epoch, index), see rng.ts. So
 * the state to resume is the seed and the next epoch; it is recorded explicitly anyway.
 */
export function rngStateOf(seed: number, nextEpoch: number): string {
  return JSON.stringify({ kind: 'derived', seed, nextEpoch, shuffle: '(seed, epoch)', augmentation: '(seed, epoch, index)' });
}

/** Which kinds an epoch's checkpoint is written as. */
export function checkpointKinds(epoch: number, isBest: boolean, keepEvery: number): CheckpointKind[] {
  const kinds: CheckpointKind[] = ['latest'];
  if (isBest) kinds.push('best');
  if (keepEvery > 0 && epoch % keepEvery === 0) kinds.push('epoch');
  return kinds;
}

export class CheckpointWriteError extends Error {
  override readonly name = 'CheckpointWriteError';
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const reason = code === 'ENOSPC' ? 'the disk is full' : code === 'EACCES' || code === 'EPERM' ? 'the folder is not writable'
      : code === 'ENOTDIR' || code === 'EEXIST' ? 'the checkpoints folder path is not a folder' : 'the write failed';
    super(`Could not write the checkpoint ${path}: ${reason} (${cause instanceof Error ? cause.message : String(cause)}). The previous checkpoint was left intact.`, { cause });
  }
}

export function checkpointPath(runDir: string, kind: CheckpointKind, epoch: number): string {
  const file = kind === 'epoch' ? `epoch-${String(epoch).padStart(4, '0')}.safetensors` : `${kind}.safetensors`;
  return join(runDir, 'checkpoints', file);
}

export async function writeCheckpoint(input: CheckpointInput): Promise<WrittenCheckpoint[]> {
  const tensors = new Map<string, NamedTensor>();
  for (const [name, e] of await exportStateDict(input.model)) {
    tensors.set(name, e.dtype === 'int64'
      ? { dtype: 'I64', shape: e.shape, data: e.data as BigInt64Array }
      : { dtype: 'F32', shape: e.shape, data: e.data as Float32Array });
  }
  const memory = await input.bank.read();
  tensors.set(MEMORY_TENSOR, { dtype: 'F32', shape: [memory.length / input.config.lowDim, input.config.lowDim], data: memory });
  for (const [name, buf] of await input.sgd.state()) {
    tensors.set(MOMENTUM_PREFIX + name, { dtype: 'F32', shape: [buf.length], data: buf });
  }
  const metadata = {
    format: CHECKPOINT_FORMAT,
    version: String(CHECKPOINT_VERSION),
    arch: input.config.arch,
    epoch: String(input.epoch),
    step: String(input.step),
    config: JSON.stringify(input.config),
    metrics: JSON.stringify(input.metrics),
    [RNG_KEY]: rngStateOf(input.config.seed, input.epoch),
    ...(input.best !== undefined && Number.isFinite(input.best) ? { [BEST_KEY]: JSON.stringify(input.best) } : {}),
    ...(input.trainedSeconds !== undefined ? { [TRAINED_SECONDS_KEY]: JSON.stringify(input.trainedSeconds) } : {}),
  };
  const chunks = encodeSafetensors(tensors, metadata);
  const [first, ...rest] = input.kinds;
  if (!first) return [];
  const write = input.writeFile ?? writeFileAtomic;
  const writeKind = (kind: CheckpointKind): WrittenCheckpoint => {
    const path = checkpointPath(input.runDir, kind, input.epoch);
    try {
      return { ...write(path, chunks), epoch: input.epoch, kind, metrics: input.metrics };
    } catch (err) {
      throw new CheckpointWriteError(path, err);
    }
  };
  const out: WrittenCheckpoint[] = [writeKind(first)];
  // Encoded once, written once per kind: each file stays independently atomic.
  for (const kind of rest) out.push(writeKind(kind));
  return out;
}
