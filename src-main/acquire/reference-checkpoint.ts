/**
 * A reference (snca.pytorch / lemniscate.pytorch) checkpoint as the engine's weights: the
 * ImageNet ResNet-18/34/50 and CIFAR ResNet-18/34/50 under their reference state_dict names,
 * the memory bank as a reference into the file, and the training facts the file records.
 *
 * Layouts read:
 *  - 'imagenet': main.py's `.pth.tar`, a dict {state_dict, epoch, arch, best_prec1, optimizer,
 *    lemniscate}; state_dict saved through DataParallel (`module.` keys); lemniscate the whole
 *    pickled LinearAverage module whose buffers are `params` = [T, momentum] and `memory`
 *    (N × lowDim). Also what `snca export` writes (lemniscate as a {params, memory} dict).
 *  - 'cifar': cifar.py's dict of whole pickled modules {net, lemniscate, acc, epoch}; the net
 *    may still be wrapped in DataParallel.
 *  - 'state-dict': a bare state_dict.
 * The architecture, width (channels of the first stage) and embedding size are inferred from
 * the shapes; a stated `arch` must agree with them. A file whose keys fit no architecture is
 * refused, naming the first key that does not fit the closest one.
 */
import type { StateDictInput } from '../engine/models/state-dict.ts';
import { importStateDict } from '../engine/models/state-dict.ts';
import { createModel, defaultInputShape, type Model } from '../engine/models/model.ts';
import { RESNET_ARCHS, resnetStateDictLayout, type LayoutEntry, type ResNetArch } from '../engine/models/resnet-layout.ts';
import { PyDict, PyObject, PySet, type PyValue } from './safe-unpickler.ts';
import { readTorchFile, type TorchFile, type TorchSerialisation } from './torch-checkpoint.ts';
import { TorchTensor, readTensorFloat32, readTensorInt64, readTensorNumbers } from './torch-tensor.ts';

export type ReferenceLayout = 'imagenet' | 'cifar' | 'state-dict';

export class ReferenceCheckpointError extends Error {
  override readonly name = 'ReferenceCheckpointError';
  constructor(
    readonly path: string,
    readonly problem: string,
    /** The state_dict key the problem is about, when there is one. */
    readonly key?: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

/** What createModel needs to build the network the checkpoint's weights fit. */
export interface ReferenceModelConfig {
  arch: ResNetArch;
  /** Channels of the stem and first stage (64 in the released models). */
  width: number;
  lowDim: number;
  /** H, W, C: 224×224 for ImageNet nets, 32×32 for CIFAR nets. */
  inputShape: [number, number, number];
}

/** The memory bank: `rows` × `dim` float features, left in the file (see torch-tensor.ts to read or copy it). */
export interface ReferenceBank {
  tensor: TorchTensor;
  rows: number;
  dim: number;
}

export interface ReferenceCheckpoint {
  path: string;
  /** File size in bytes. */
  bytes: number;
  format: TorchSerialisation;
  layout: ReferenceLayout;
  arch: ResNetArch;
  modelConfig: ReferenceModelConfig;
  /** Every state_dict entry under the engine's (reference) names, torch layout, float32 / int64. */
  weights: Map<string, StateDictInput>;
  /** The file had no BatchNorm `num_batches_tracked` (torch 0.4.0): they are 0 in `weights`. */
  batchCountersReset: boolean;
  bank?: ReferenceBank;
  /** NCA temperature and memory momentum (lemniscate.params). */
  temperature?: number;
  momentum?: number;
  epoch?: number;
  /** `best_prec1` (ImageNet layout, percent) or `acc` (CIFAR layout, fraction), as recorded. */
  bestPrec1?: number;
  /** The `arch` string the file states, if any. */
  statedArch?: string;
}

function num(v: PyValue | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof TorchTensor && v.numel === 1) return readTensorNumbers(v)[0];
  return undefined;
}

/** The state_dict of a pickled nn.Module record: its parameters, persistent buffers and submodules, recursively. */
export function moduleStateDict(module: PyObject, prefix = '', out = new Map<string, TorchTensor>()): Map<string, TorchTensor> {
  const params = module.attr('_parameters');
  const buffers = module.attr('_buffers');
  const modules = module.attr('_modules');
  const skip = module.attr('_non_persistent_buffers_set');
  const skipped = new Set(skip instanceof PySet ? skip.items.map(String) : []);
  for (const [group, isBuffer] of [[params, false], [buffers, true]] as const) {
    if (!(group instanceof PyDict)) continue;
    for (const [k, v] of group.entries()) {
      if (v instanceof TorchTensor && !(isBuffer && skipped.has(String(k)))) out.set(prefix + String(k), v);
    }
  }
  if (modules instanceof PyDict) {
    for (const [k, v] of modules.entries()) if (v instanceof PyObject) moduleStateDict(v, `${prefix}${String(k)}.`, out);
  }
  return out;
}

function tensorsOf(d: PyDict, path: string, what: string): Map<string, TorchTensor> {
  const out = new Map<string, TorchTensor>();
  for (const [k, v] of d.entries()) {
    if (typeof k !== 'string') throw new ReferenceCheckpointError(path, `${what} has a non-string key`);
    if (!(v instanceof TorchTensor)) throw new ReferenceCheckpointError(path, `${what} entry "${k}" is not a tensor`, k);
    out.set(k, v);
  }
  return out;
}

/** Keys without DataParallel's `module.` prefix. */
export function stripModulePrefix<T>(entries: Map<string, T>): Map<string, T> {
  return new Map([...entries].map(([k, v]) => [k.startsWith('module.') ? k.slice('module.'.length) : k, v]));
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;
const isCounter = (name: string): boolean => name.endsWith('.num_batches_tracked');

export interface InferredArchitecture {
  arch: ResNetArch;
  width: number;
  lowDim: number;
  inChannels: number;
  /** The file has no num_batches_tracked at all. */
  countersMissing: boolean;
}

interface Fit {
  arch: ResNetArch;
  /** File keys (in order) that fit. */
  fitting: number;
  /** First key of the file that does not fit, with why. */
  misfit?: { key: string; why: string };
  /** First expected key the file lacks. */
  missing?: LayoutEntry;
  countersMissing: boolean;
}

function fitOf(arch: ResNetArch, shapes: ReadonlyMap<string, readonly number[]>, width: number, lowDim: number, inChannels: number): Fit {
  const layout = resnetStateDictLayout(arch, { width, lowDim, inChannels });
  const expected = new Map(layout.map((e) => [e.name, e]));
  const countersMissing = ![...shapes.keys()].some(isCounter);
  let fitting = 0;
  let misfit: Fit['misfit'];
  for (const [key, shape] of shapes) {
    const e = expected.get(key);
    // A batch counter saved as a 1-element tensor still fits.
    const ok = e && (sameShape(e.shape, shape) || (isCounter(key) && shape.reduce((a, b) => a * b, 1) === 1));
    if (ok) fitting++;
    else if (!misfit) misfit = { key, why: e ? `has shape ${fmt(shape)}, ${arch} expects ${fmt(e.shape)}` : `is not a key of ${arch}` };
  }
  const missing = layout.find((e) => !shapes.has(e.name) && !(countersMissing && isCounter(e.name)));
  return { arch, fitting, misfit, missing, countersMissing };
}

/**
 * Which reference architecture (and width, embedding size, input channels) a state_dict's
 * keys and shapes are. `stated` is the file's `arch`, checked against the keys. Throws
 * ReferenceCheckpointError naming the first key that does not fit the closest architecture.
 */
export function inferArchitecture(shapes: ReadonlyMap<string, readonly number[]>, path: string, stated?: string): InferredArchitecture {
  const conv1 = shapes.get('conv1.weight');
  const head = shapes.get('fc.weight') ?? shapes.get('linear.weight');
  const width = conv1?.length === 4 ? conv1[0]! : 64;
  const inChannels = conv1?.length === 4 ? conv1[1]! : 3;
  const lowDim = head?.length === 2 ? head[0]! : 128;
  const fits = RESNET_ARCHS.map((a) => fitOf(a, shapes, width, lowDim, inChannels));
  const exact = fits.filter((f) => !f.misfit && !f.missing);
  if (exact.length === 1) {
    const found = exact[0]!;
    if (stated !== undefined && stated !== found.arch) {
      throw new ReferenceCheckpointError(path, `the file states arch "${stated}" but its state_dict is a ${found.arch} (width ${width}); refusing a contradictory checkpoint`);
    }
    return { arch: found.arch, width, lowDim, inChannels, countersMissing: found.countersMissing };
  }
  const closest = [...fits].sort((a, b) => b.fitting - a.fitting)[0]!;
  const archs = RESNET_ARCHS.join(', ');
  const statedNote = stated !== undefined ? ` (the file states arch "${stated}")` : '';
  if (closest.misfit) {
    throw new ReferenceCheckpointError(path,
      `the state_dict matches no supported architecture (${archs})${statedNote}: key "${closest.misfit.key}" ${closest.misfit.why} (closest: ${closest.arch}, width ${width})`,
      closest.misfit.key);
  }
  const m = closest.missing!;
  throw new ReferenceCheckpointError(path,
    `the state_dict matches no supported architecture (${archs})${statedNote}: it lacks "${m.name}" ${fmt(m.shape)} of ${closest.arch} (width ${width})`, m.name);
}

interface Located {
  layout: ReferenceLayout;
  stateDict: Map<string, TorchTensor>;
  lemniscate?: PyValue;
  epoch?: number;
  bestPrec1?: number;
  statedArch?: string;
}

function locate(file: TorchFile): Located {
  const { root, path } = file;
  if (!(root instanceof PyDict)) throw new ReferenceCheckpointError(path, 'the checkpoint is not a dict (neither the ImageNet nor the CIFAR layout of the reference)');
  const arch = root.get('arch');
  const statedArch = typeof arch === 'string' ? arch : undefined;
  const sd = root.get('state_dict');
  if (sd !== undefined) {
    if (!(sd instanceof PyDict)) throw new ReferenceCheckpointError(path, '"state_dict" is not a dict');
    return { layout: 'imagenet', stateDict: tensorsOf(sd, path, 'state_dict'), lemniscate: root.get('lemniscate'), epoch: num(root.get('epoch')), bestPrec1: num(root.get('best_prec1')), statedArch };
  }
  const net = root.get('net');
  if (net !== undefined) {
    if (!(net instanceof PyObject)) throw new ReferenceCheckpointError(path, '"net" is not a pickled module');
    return { layout: 'cifar', stateDict: moduleStateDict(net), lemniscate: root.get('lemniscate'), epoch: num(root.get('epoch')), bestPrec1: num(root.get('acc')), statedArch };
  }
  if (root.size > 0 && root.entries().every(([, v]) => v instanceof TorchTensor)) {
    return { layout: 'state-dict', stateDict: tensorsOf(root, path, 'the state_dict') };
  }
  const keys = root.keys().slice(0, 8).map(String).join(', ');
  throw new ReferenceCheckpointError(path, `neither a reference checkpoint ({state_dict, ...} or {net, lemniscate, ...}) nor a state_dict; its keys: ${keys}`);
}

function bankOf(lemniscate: PyValue | undefined, lowDim: number, path: string): Pick<ReferenceCheckpoint, 'bank' | 'temperature' | 'momentum'> {
  if (lemniscate === undefined || lemniscate === null) return {};
  const buffers = lemniscate instanceof PyObject ? lemniscate.attr('_buffers') : lemniscate;
  if (!(buffers instanceof PyDict)) throw new ReferenceCheckpointError(path, '"lemniscate" has no buffers (expected the LinearAverage module or its state_dict)');
  const out: Pick<ReferenceCheckpoint, 'bank' | 'temperature' | 'momentum'> = {};
  const memory = buffers.get('memory');
  if (memory !== undefined) {
    if (!(memory instanceof TorchTensor) || memory.shape.length !== 2) throw new ReferenceCheckpointError(path, 'lemniscate.memory is not a 2-D tensor', 'lemniscate.memory');
    const [rows, dim] = memory.shape as [number, number];
    if (dim !== lowDim) throw new ReferenceCheckpointError(path, `lemniscate.memory has ${dim}-d rows but the model embeds ${lowDim}-d`, 'lemniscate.memory');
    if (memory.dtype !== 'float32' && memory.dtype !== 'float64') throw new ReferenceCheckpointError(path, `lemniscate.memory is ${memory.dtype}, not float`, 'lemniscate.memory');
    out.bank = { tensor: memory, rows, dim };
  }
  const params = buffers.get('params');
  if (params instanceof TorchTensor && params.numel >= 2) {
    const p = readTensorNumbers(params);
    out.temperature = p[0];
    out.momentum = p[1];
  }
  return out;
}

/** Converts a read torch file (either layout) to the engine's weights. */
export function referenceCheckpointOf(file: TorchFile): ReferenceCheckpoint {
  const { path } = file;
  const found = locate(file);
  const tensors = stripModulePrefix(found.stateDict);
  const inferred = inferArchitecture(new Map([...tensors].map(([k, t]) => [k, t.shape])), path, found.statedArch);
  const weights = new Map<string, StateDictInput>();
  for (const e of resnetStateDictLayout(inferred.arch, inferred)) {
    const t = tensors.get(e.name);
    if (e.dtype === 'int64') {
      weights.set(e.name, { shape: [], dtype: 'int64', data: t ? BigInt64Array.of(readTensorInt64(t)[0] ?? 0n) : BigInt64Array.of(0n) });
    } else {
      weights.set(e.name, { shape: e.shape, dtype: 'float32', data: readTensorFloat32(t!) });
    }
  }
  const [h, w] = defaultInputShape(inferred.arch);
  return {
    path,
    bytes: file.bytes,
    format: file.format,
    layout: found.layout,
    arch: inferred.arch,
    modelConfig: { arch: inferred.arch, width: inferred.width, lowDim: inferred.lowDim, inputShape: [h, w, inferred.inChannels] },
    weights,
    batchCountersReset: inferred.countersMissing,
    ...bankOf(found.lemniscate, inferred.lowDim, path),
    ...(found.epoch !== undefined ? { epoch: found.epoch } : {}),
    ...(found.bestPrec1 !== undefined ? { bestPrec1: found.bestPrec1 } : {}),
    ...(found.statedArch !== undefined ? { statedArch: found.statedArch } : {}),
  };
}

/**
 * Reads a reference checkpoint (either torch serialisation, either layout). Nothing in the
 * file runs; the bank stays in the file. Throws TorchFileError (format) or
 * ReferenceCheckpointError (content), each naming the file.
 */
export function readReferenceCheckpoint(path: string): ReferenceCheckpoint {
  return referenceCheckpointOf(readTorchFile(path));
}

/** The engine model of a reference checkpoint, with its weights loaded (eval-ready). */
export function createReferenceModel(ck: Pick<ReferenceCheckpoint, 'modelConfig' | 'weights'>, inputShape?: [number, number, number]): Model {
  const { arch, width, lowDim } = ck.modelConfig;
  const model = createModel(arch, { width, lowDim, inputShape: inputShape ?? ck.modelConfig.inputShape });
  try {
    importStateDict(model, ck.weights);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}
