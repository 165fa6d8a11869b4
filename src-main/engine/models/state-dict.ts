/**
 * PyTorch state_dict import/export: the reference names, torch shapes and torch layouts
 * (conv [out, in, kh, kw], linear [out, in], num_batches_tracked int64 scalar), converted
 * from/to the tfjs layouts the model computes with (torch-layout.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Model, StateDictSlot } from './model.ts';
import { StateDictError } from './model-errors.ts';
import { tfjsShapeOf, tfjsToTorch, torchToTfjs } from './torch-layout.ts';

export type StateDictEntry =
  | { shape: number[]; dtype: 'float32'; data: Float32Array }
  | { shape: number[]; dtype: 'int64'; data: BigInt64Array };

/** What import accepts: the exported form, or anything shaped like it (e.g. read from safetensors). */
export interface StateDictInput {
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int64';
  readonly data: Float32Array | BigInt64Array;
}

export interface ImportOptions {
  /**
   * Checkpoints saved by PyTorch < 0.4.1 (the reference's era) have no
   * `*.num_batches_tracked`; with this set, missing counters are reset to 0 instead of failing.
   */
  readonly allowMissingBatchCounters?: boolean;
}

/** Every entry, in state_dict order, in torch layout (the variables are read asynchronously). */
export async function exportStateDict(model: Model): Promise<Map<string, StateDictEntry>> {
  const out = new Map<string, StateDictEntry>();
  for (const slot of model.stateDict) {
    const shape = [...slot.torchShape];
    if (slot.torchDtype === 'int64') {
      const v = await slot.variable.data();
      out.set(slot.name, { shape, dtype: 'int64', data: BigInt64Array.from(v as Int32Array, (x) => BigInt(x)) });
    } else {
      const v = (await slot.variable.data()) as Float32Array;
      out.set(slot.name, { shape, dtype: 'float32', data: tfjsToTorch(v, slot.torchShape, slot.layout) });
    }
  }
  return out;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function isBatchCounter(name: string): boolean {
  return name.endsWith('.num_batches_tracked');
}

/**
 * Replaces every parameter and buffer of `model` with `entries` (torch names, shapes, layouts).
 * Everything is validated before anything is written, so a failed import leaves the model
 * unchanged. Throws StateDictError naming the first missing, unexpected or mis-shaped key.
 */
export function importStateDict(model: Model, entries: ReadonlyMap<string, StateDictInput>, opts: ImportOptions = {}): void {
  const expected = new Map<string, StateDictSlot>(model.stateDict.map((s) => [s.name, s]));
  for (const name of entries.keys()) {
    if (!expected.has(name)) {
      throw new StateDictError('unexpected-key', name,
        `Unexpected key "${name}" in the state_dict for ${model.arch}; is the checkpoint from another architecture, ` +
          'or saved from a DataParallel wrapper ("module." prefix)?');
    }
  }
  const plan: Array<{ slot: StateDictSlot; values: Float32Array | Int32Array }> = [];
  for (const slot of model.stateDict) {
    const e = entries.get(slot.name);
    if (!e) {
      if (isBatchCounter(slot.name) && opts.allowMissingBatchCounters) {
        plan.push({ slot, values: new Int32Array([0]) });
        continue;
      }
      throw new StateDictError('missing-key', slot.name,
        `Missing key "${slot.name}" in the state_dict for ${model.arch} (expected shape ${fmt(slot.torchShape)})` +
          (isBatchCounter(slot.name) ? '; for a checkpoint from PyTorch < 0.4.1 import with allowMissingBatchCounters' : ''));
    }
    if (!sameShape(e.shape, slot.torchShape)) {
      throw new StateDictError('shape-mismatch', slot.name,
        `Key "${slot.name}" has shape ${fmt(e.shape)}, ${model.arch} (lowDim ${model.lowDim}, input ${fmt(model.inputShape)}) ` +
          `expects ${fmt(slot.torchShape)}`);
    }
    const count = slot.torchShape.reduce((a, b) => a * b, 1);
    if (e.data.length !== count) {
      throw new StateDictError('data-length', slot.name,
        `Key "${slot.name}": shape ${fmt(e.shape)} holds ${count} values but the data has ${e.data.length}`);
    }
    if (slot.torchDtype === 'int64') {
      // Accept a float counter too (some exporters write every tensor as float32); it is only a count.
      const v = e.data instanceof BigInt64Array ? Number(e.data[0]) : Math.round(e.data[0]!);
      if (!Number.isSafeInteger(v) || v < 0 || v > 0x7fffffff) {
        throw new StateDictError('dtype-mismatch', slot.name, `Key "${slot.name}" must be a non-negative batch count, got ${String(v)}`);
      }
      plan.push({ slot, values: new Int32Array([v]) });
    } else {
      if (e.dtype !== 'float32' || !(e.data instanceof Float32Array)) {
        throw new StateDictError('dtype-mismatch', slot.name,
          `Key "${slot.name}" must be float32, got ${e.dtype}${e.data instanceof Float32Array ? '' : ` (${e.data.constructor.name})`}`);
      }
      plan.push({ slot, values: torchToTfjs(e.data, slot.torchShape, slot.layout) });
    }
  }
  for (const { slot, values } of plan) {
    const t = tf.tensor(values, tfjsShapeOf(slot.torchShape, slot.layout), slot.variable.dtype);
    slot.variable.assign(t);
    t.dispose();
  }
}
