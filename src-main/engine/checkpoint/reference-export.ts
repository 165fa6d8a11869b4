/**
 * A checkpoint of ours in the reference's (snca.pytorch main.py) layout, for PyTorch users:
 *   state_dict   the model under `module.`-prefixed reference names (as DataParallel saves it)
 *   lemniscate   the LinearAverage buffers: params = [T, memory momentum], memory = the bank
 *   epoch, arch, best_prec1 (percent, like the reference's)
 * `.pth` is torch's zip serialisation (torch.load(..., weights_only=True) reads it; best_prec1
 * is a 0-d tensor there, see torch-pickle-writer.ts). `.safetensors` holds the same tensors
 * under flat names (`state_dict.module.conv1.weight`, `lemniscate.memory`, `lemniscate.params`)
 * with epoch, arch and best_prec1 as header metadata.
 */
import { MEMORY_TENSOR, MOMENTUM_PREFIX } from './checkpoint-format.ts';
import type { LoadedCheckpoint } from './checkpoint-reader.ts';
import { writeFileAtomic, type WrittenFile } from './atomic-file.ts';
import { encodeSafetensors, type NamedTensor } from './safetensors.ts';
import { pthInt, pthScalar, pthTensor, type PthTensor, type PthValue } from './torch-pickle-writer.ts';
import { writeTorchZip } from './torch-zip-writer.ts';
import { BEST_KEY } from '../train/checkpoint-writer.ts';

export type ExportFormat = 'pth' | 'safetensors';

export class ReferenceExportError extends Error {
  override readonly name = 'ReferenceExportError';
}

export interface ReferenceExport {
  arch: string;
  epoch: number;
  /** Best monitored top-1 accuracy in percent (0 before any evaluation). */
  bestPrec1: number;
  /** Model entries under `module.<reference name>`, in state_dict order. */
  stateDict: Map<string, PthTensor>;
  /** [T, memory momentum] */
  params: Float32Array;
  memory?: PthTensor;
}

function asPthTensor(name: string, t: NamedTensor, path: string): PthTensor {
  if (t.data instanceof Float32Array || t.data instanceof BigInt64Array || t.data instanceof Float64Array) return pthTensor(t.shape, t.data);
  throw new ReferenceExportError(`${path}: tensor ${name} is ${t.dtype}; only float and int64 tensors are exported`);
}

/** The reference-layout content of one of our checkpoints. */
export function referenceExportOf(ck: LoadedCheckpoint): ReferenceExport {
  const { header } = ck;
  const stateDict = new Map<string, PthTensor>();
  let memory: PthTensor | undefined;
  for (const [name, t] of ck.tensors) {
    if (name === MEMORY_TENSOR) memory = asPthTensor(name, t, ck.path);
    else if (!name.startsWith(MOMENTUM_PREFIX)) stateDict.set(`module.${name}`, asPthTensor(name, t, ck.path));
  }
  if (stateDict.size === 0) throw new ReferenceExportError(`${ck.path}: the checkpoint holds no model weights`);
  const monitor = header.config.eval.monitor;
  const best = Number(header.extra[BEST_KEY] ?? header.metrics[monitor] ?? 0);
  return {
    arch: header.arch,
    epoch: header.epoch,
    bestPrec1: Number.isFinite(best) ? best * 100 : 0,
    stateDict,
    params: Float32Array.of(header.config.temperature, header.config.memoryMomentum),
    ...(memory ? { memory } : {}),
  };
}

/** Writes `ex` at `path` in `format`, atomically. */
export function writeReferenceExport(path: string, ex: ReferenceExport, format: ExportFormat): WrittenFile {
  if (format === 'pth') {
    const lemniscate = new Map<string, PthValue>([['params', pthTensor([2], ex.params)]]);
    if (ex.memory) lemniscate.set('memory', ex.memory);
    return writeTorchZip(path, new Map<string, PthValue>([
      ['state_dict', ex.stateDict],
      ['lemniscate', lemniscate],
      ['epoch', pthInt(ex.epoch)],
      ['arch', ex.arch],
      ['best_prec1', pthScalar(ex.bestPrec1)],
    ]));
  }
  const tensors = new Map<string, NamedTensor>();
  const named = (t: PthTensor): NamedTensor => ({
    dtype: t.data instanceof Float32Array ? 'F32' : t.data instanceof Float64Array ? 'F64' : 'I64',
    shape: [...t.shape],
    data: t.data,
  });
  for (const [k, t] of ex.stateDict) tensors.set(`state_dict.${k}`, named(t));
  tensors.set('lemniscate.params', named(pthTensor([2], ex.params)));
  if (ex.memory) tensors.set('lemniscate.memory', named(ex.memory));
  return writeFileAtomic(path, encodeSafetensors(tensors, { epoch: String(ex.epoch), arch: ex.arch, best_prec1: String(ex.bestPrec1) }));
}
