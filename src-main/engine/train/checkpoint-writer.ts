/**
 * Writes a run's checkpoint: the model under the reference PyTorch state_dict names, the
 * memory bank, the SGD momentum buffers and a JSON header (config, epoch, step, metrics)
 * in one safetensors file, atomically, returning its sha256 for the database.
 */
import { join } from 'node:path';
import type { RunConfig } from '../../../shared/run-config.ts';
import { encodeSafetensors, type NamedTensor } from '../checkpoint/safetensors.ts';
import { writeFileAtomic } from '../checkpoint/atomic-file.ts';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, MEMORY_TENSOR, MOMENTUM_PREFIX } from '../checkpoint/checkpoint-file.ts';
import type { Model } from '../models/model.ts';
import { exportStateDict } from '../models/state-dict.ts';
import type { MemoryBank } from '../nca/memory-bank.ts';
import type { SGD } from '../optim/sgd.ts';


export type CheckpointKind = 'latest' | 'best' | 'epoch';

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
}

export function checkpointPath(runDir: string, kind: CheckpointKind, epoch: number): string {
  const file = kind === 'epoch' ? `epoch-${String(epoch).padStart(4, '0')}.safetensors` : `${kind}.safetensors`;
  return join(runDir, 'checkpoints', file);
}

export function writeCheckpoint(input: CheckpointInput): WrittenCheckpoint[] {
  const tensors = new Map<string, NamedTensor>();
  for (const [name, e] of exportStateDict(input.model)) {
    tensors.set(name, e.dtype === 'int64'
      ? { dtype: 'I64', shape: e.shape, data: e.data as BigInt64Array }
      : { dtype: 'F32', shape: e.shape, data: e.data as Float32Array });
  }
  const memory = input.bank.read();
  tensors.set(MEMORY_TENSOR, { dtype: 'F32', shape: [memory.length / input.config.lowDim, input.config.lowDim], data: memory });
  for (const [name, buf] of input.sgd.state()) {
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
  };
  const chunks = encodeSafetensors(tensors, metadata);
  const [first, ...rest] = input.kinds;
  if (!first) return [];
  const firstPath = checkpointPath(input.runDir, first, input.epoch);
  const written = writeFileAtomic(firstPath, chunks);
  const out: WrittenCheckpoint[] = [{ ...written, epoch: input.epoch, kind: first, metrics: input.metrics }];
  for (const kind of rest) {
    // Encoded once, written once per kind: each file stays independently atomic.
    const w = writeFileAtomic(checkpointPath(input.runDir, kind, input.epoch), chunks);
    out.push({ ...w, epoch: input.epoch, kind, metrics: input.metrics });
  }
  return out;
}
