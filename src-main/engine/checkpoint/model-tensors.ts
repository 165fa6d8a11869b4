/**
 * The network's state_dict entries among a safetensors file's tensors: everything but the
 * memory bank and the optimizer's momentum buffers, as the F32 / I64 entries importStateDict takes.
 */
import type { StateDictInput } from '../models/state-dict.ts';
import { MEMORY_TENSOR, MOMENTUM_PREFIX } from './checkpoint-format.ts';
import { CheckpointError } from './checkpoint-reader.ts';
import type { NamedTensor } from './safetensors.ts';

export function modelStateDict(tensors: ReadonlyMap<string, NamedTensor>, path: string): Map<string, StateDictInput> {
  const out = new Map<string, StateDictInput>();
  for (const [name, t] of tensors) {
    if (name === MEMORY_TENSOR || name.startsWith(MOMENTUM_PREFIX)) continue;
    if (t.data instanceof Float32Array) out.set(name, { shape: t.shape, dtype: 'float32', data: t.data });
    else if (t.data instanceof BigInt64Array) out.set(name, { shape: t.shape, dtype: 'int64', data: t.data });
    else throw new CheckpointError(path, `tensor ${name} has dtype ${t.dtype}; model tensors are F32 or I64`);
  }
  return out;
}
