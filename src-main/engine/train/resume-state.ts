/**
 * Restoring a training session from one of its checkpoints: model parameters and buffers
 * (BN running stats and batch counters), the memory bank, the SGD momentum buffers, the
 * epoch/step counters, the best monitored value and the training time so far.
 *
 * Nothing else is needed for a bit-exact continuation: the data order of an epoch is a
 * function of (seed, epoch), a sample's augmentation of (seed, epoch, index) (rng.ts), the
 * learning rate and memory momentum of (config, epoch), and model / memory initialisation
 * draw from their own seeded streams that the restored values overwrite anyway.
 */
import type { RunConfig } from '../../../shared/run-config.ts';
import { MEMORY_TENSOR, MOMENTUM_PREFIX } from '../checkpoint/checkpoint-format.ts';
import { CheckpointError, readCheckpoint } from '../checkpoint/checkpoint-reader.ts';
import type { NamedTensor } from '../checkpoint/safetensors.ts';
import type { Model } from '../models/model.ts';
import { importStateDict, type StateDictInput } from '../models/state-dict.ts';
import type { MemoryBank } from '../nca/memory-bank.ts';
import type { SGD } from '../optim/sgd.ts';
import { BEST_KEY, TRAINED_SECONDS_KEY } from './checkpoint-writer.ts';

export interface ResumeFrom {
  path: string;
  /** The sha256 recorded when the file was written; a mismatch refuses the file. */
  sha256?: string;
}

export interface RestoredState {
  /** Epochs finished in the checkpoint: training continues with epoch index `epoch` (0-based). */
  epoch: number;
  step: number;
  /** Best monitored value so far, -Infinity when none was recorded. */
  best: number;
  trainedSeconds: number;
  sha256: string;
}

/** Config fields that must match between the checkpoint and the run being resumed. */
const MUST_MATCH = ['arch', 'lowDim', 'seed', 'batchSize', 'iterSize'] as const;

export function restoreTrainingState(
  from: ResumeFrom,
  target: { config: RunConfig; model: Model; bank: MemoryBank; sgd: SGD },
): RestoredState {
  const loaded = readCheckpoint(from.path, from.sha256 ? { expectedSha256: from.sha256 } : {});
  const { header, tensors } = loaded;
  const fail = (problem: string): never => {
    throw new CheckpointError(from.path, problem);
  };
  for (const key of MUST_MATCH) {
    if (header.config[key] !== target.config[key]) {
      fail(`cannot resume: the checkpoint was trained with ${key} = ${String(header.config[key])}, this run has ${String(target.config[key])}`);
    }
  }
  if (JSON.stringify(header.config.dataset) !== JSON.stringify(target.config.dataset)) {
    fail('cannot resume: the checkpoint was trained on a different dataset configuration');
  }
  if (header.epoch > target.config.epochs) {
    fail(`cannot resume: the checkpoint is from epoch ${header.epoch}, the run has only ${target.config.epochs} epochs`);
  }

  const stateDict = new Map<string, StateDictInput>();
  const momentum = new Map<string, Float32Array>();
  let memory: NamedTensor | undefined;
  for (const [name, t] of tensors) {
    if (name === MEMORY_TENSOR) memory = t;
    else if (name.startsWith(MOMENTUM_PREFIX)) {
      if (!(t.data instanceof Float32Array)) fail(`tensor ${name} must be F32, got ${t.dtype}`);
      momentum.set(name.slice(MOMENTUM_PREFIX.length), t.data as Float32Array);
    } else if (t.data instanceof Float32Array) stateDict.set(name, { shape: t.shape, dtype: 'float32', data: t.data });
    else if (t.data instanceof BigInt64Array) stateDict.set(name, { shape: t.shape, dtype: 'int64', data: t.data });
    else fail(`tensor ${name} has dtype ${t.dtype}; model tensors are F32 or I64`);
  }
  if (!memory || !(memory.data instanceof Float32Array)) return fail(`no F32 tensor "${MEMORY_TENSOR}" (the memory bank)`);
  const { bank, model, sgd } = target;
  if (memory.shape[0] !== bank.size || memory.shape[1] !== bank.dim) {
    fail(`the memory bank is ${memory.shape.join('×')}, this run's training split needs ${bank.size}×${bank.dim}`);
  }
  try {
    // Each validates everything before writing anything.
    importStateDict(model, stateDict);
    sgd.loadState(momentum, model.params);
  } catch (err) {
    fail(`cannot resume: ${err instanceof Error ? err.message : String(err)}`);
  }
  bank.write(memory.data as Float32Array);
  return {
    epoch: header.epoch,
    step: header.step,
    best: numberOf(header.extra[BEST_KEY], -Infinity),
    trainedSeconds: numberOf(header.extra[TRAINED_SECONDS_KEY], 0),
    sha256: loaded.sha256,
  };
}

function numberOf(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  return Number.isFinite(v) ? v : fallback;
}
