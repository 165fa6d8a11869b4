/**
 * Tensors of a torch checkpoint as references into the file, never loaded eagerly: a storage
 * is (file, byte offset, byte length, dtype); a tensor is a view of a storage (offset, shape,
 * strides). readTensorFloat32/readTensorInt64 read one tensor's values on demand, and
 * copyTensorToFile streams a contiguous tensor (a 655 MB memory bank) into another file in
 * chunks, with progress, so it is never held in memory at all.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { PyOpaque } from './safe-unpickler.ts';

export type TorchDType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export const TORCH_DTYPE_BYTES: Record<TorchDType, number> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1,
};

/** The storage classes a checkpoint names (torch.FloatStorage, ...) and their element types. */
export const STORAGE_CLASSES: ReadonlyMap<string, TorchDType> = new Map([
  ['torch.FloatStorage', 'float32'],
  ['torch.DoubleStorage', 'float64'],
  ['torch.HalfStorage', 'float16'],
  ['torch.BFloat16Storage', 'bfloat16'],
  ['torch.LongStorage', 'int64'],
  ['torch.IntStorage', 'int32'],
  ['torch.ShortStorage', 'int16'],
  ['torch.CharStorage', 'int8'],
  ['torch.ByteStorage', 'uint8'],
  ['torch.BoolStorage', 'bool'],
]);

export class TorchTensorError extends Error {
  override readonly name = 'TorchTensorError';
}

/** Where a storage's bytes are: set once the file's layout has been read. */
interface StorageSlice {
  file: string;
  byteOffset: number;
}

/** One storage of the checkpoint: `numel` elements of `dtype`, at a place in a file. */
export class TorchStorage extends PyOpaque {
  private slice: StorageSlice | undefined;
  constructor(
    /** The storage's key in the checkpoint (legacy: the pickled key; zip: the data/<key> record). */
    readonly key: string,
    readonly dtype: TorchDType,
    readonly numel: number,
    /** Device it was saved from ('cpu', 'cuda:0'); the bytes are the same. */
    readonly location: string,
    /** A legacy view into another storage: its root and element offset. */
    readonly view?: { root: TorchStorage; elementOffset: number },
  ) {
    super();
  }

  describe(): string {
    return `storage ${this.key} (${this.numel} × ${this.dtype})`;
  }

  /** Records where the bytes lie (called by the file reader once it knows). */
  place(file: string, byteOffset: number): void {
    this.slice = { file, byteOffset };
  }

  get elementBytes(): number {
    return TORCH_DTYPE_BYTES[this.dtype];
  }

  get byteLength(): number {
    return this.numel * this.elementBytes;
  }

  get file(): string {
    return this.located().file;
  }

  get byteOffset(): number {
    return this.located().byteOffset;
  }

  private located(): StorageSlice {
    if (this.view) {
      const root = this.view.root;
      return { file: root.file, byteOffset: root.byteOffset + this.view.elementOffset * this.elementBytes };
    }
    if (!this.slice) throw new TorchTensorError(`storage ${this.key} was never found in the file`);
    return this.slice;
  }
}

/** A tensor: a strided view of a storage. */
export class TorchTensor extends PyOpaque {
  constructor(
    readonly storage: TorchStorage,
    /** In elements. */
    readonly storageOffset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
    readonly requiresGrad: boolean,
    /** Rebuilt as an nn.Parameter (torch._utils._rebuild_parameter). */
    readonly isParameter = false,
  ) {
    super();
    if (shape.length !== stride.length) throw new TorchTensorError(`tensor of shape [${shape.join(', ')}] has ${stride.length} strides`);
    if (shape.some((d) => !Number.isSafeInteger(d) || d < 0) || stride.some((s) => !Number.isSafeInteger(s) || s < 0)) {
      throw new TorchTensorError(`tensor has a bad shape [${shape.join(', ')}] or stride [${stride.join(', ')}]`);
    }
    if (!Number.isSafeInteger(storageOffset) || storageOffset < 0) throw new TorchTensorError(`tensor has a bad storage offset ${storageOffset}`);
    const last = this.numel === 0 ? 0 : storageOffset + shape.reduce((acc, d, i) => acc + (d - 1) * stride[i]!, 0) + 1;
    if (last > storage.numel) {
      throw new TorchTensorError(
        `tensor [${shape.join(', ')}] at offset ${storageOffset}, stride [${stride.join(', ')}] reaches element ${last} of ${storage.describe()}`,
      );
    }
  }

  get dtype(): TorchDType {
    return this.storage.dtype;
  }

  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** Row-major with no gaps: the tensor is one byte range of its storage. */
  get contiguous(): boolean {
    let expect = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      if (this.shape[i] !== 1 && this.stride[i] !== expect) return false;
      expect *= this.shape[i]!;
    }
    return true;
  }

  describe(): string {
    return `tensor [${this.shape.join(', ')}] ${this.dtype}`;
  }
}

function readRange(file: string, byteOffset: number, byteLength: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(byteLength);
    let got = 0;
    while (got < byteLength) {
      const n = readSync(fd, buf, got, byteLength - got, byteOffset + got);
      if (n === 0) throw new TorchTensorError(`${file}: the file ended after ${got} of ${byteLength} bytes (at byte ${byteOffset + got})`);
      got += n;
    }
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** The storage elements a tensor covers (from its first element), as raw little-endian bytes. */
function coveredBytes(t: TorchTensor): { buf: Buffer } {
  const es = t.storage.elementBytes;
  if (t.numel === 0) return { buf: Buffer.alloc(0) };
  const span = t.shape.reduce((acc, d, i) => acc + (d - 1) * t.stride[i]!, 0) + 1;
  return { buf: readRange(t.storage.file, t.storage.byteOffset + t.storageOffset * es, span * es) };
}

/** Element indexes (into the covered range) of the tensor in row-major order. */
function* stridedIndexes(shape: readonly number[], stride: readonly number[]): Generator<number> {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n === 0) return;
  const idx = new Array<number>(shape.length).fill(0);
  let at = 0;
  for (let k = 0; k < n; k++) {
    yield at;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d]!++;
      at += stride[d]!;
      if (idx[d]! < shape[d]!) break;
      at -= stride[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function elementReader(buf: Buffer, dtype: TorchDType): (i: number) => number {
  switch (dtype) {
    case 'float32': return (i) => buf.readFloatLE(i * 4);
    case 'float64': return (i) => buf.readDoubleLE(i * 8);
    case 'float16': return (i) => halfToFloat(buf.readUInt16LE(i * 2));
    case 'bfloat16': {
      const tmp = Buffer.alloc(4);
      return (i) => {
        tmp.writeUInt16LE(0, 0);
        tmp.writeUInt16LE(buf.readUInt16LE(i * 2), 2);
        return tmp.readFloatLE(0);
      };
    }
    case 'int64': return (i) => Number(buf.readBigInt64LE(i * 8));
    case 'int32': return (i) => buf.readInt32LE(i * 4);
    case 'int16': return (i) => buf.readInt16LE(i * 2);
    case 'int8': return (i) => buf.readInt8(i);
    case 'uint8': case 'bool': return (i) => buf[i]!;
  }
}

/** The tensor's values in row-major order as float32 (any dtype converts; strides and offset apply). */
export function readTensorFloat32(t: TorchTensor): Float32Array {
  const { buf } = coveredBytes(t);
  const out = new Float32Array(t.numel);
  if (t.dtype === 'float32' && t.contiguous) {
    for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
    return out;
  }
  const read = elementReader(buf, t.dtype);
  let k = 0;
  for (const i of stridedIndexes(t.shape, t.stride)) out[k++] = read(i);
  return out;
}

/** The values of a small tensor as JS numbers, without rounding float64 to float32 (scalars such as best_prec1). */
export function readTensorNumbers(t: TorchTensor): number[] {
  const { buf } = coveredBytes(t);
  const read = elementReader(buf, t.dtype);
  return [...stridedIndexes(t.shape, t.stride)].map(read);
}

/** The tensor's values as int64 (integer dtypes only). */
export function readTensorInt64(t: TorchTensor): BigInt64Array {
  if (!['int64', 'int32', 'int16', 'int8', 'uint8', 'bool'].includes(t.dtype)) {
    throw new TorchTensorError(`${t.describe()} is not an integer tensor`);
  }
  const { buf } = coveredBytes(t);
  const out = new BigInt64Array(t.numel);
  const read = t.dtype === 'int64' ? (i: number) => buf.readBigInt64LE(i * 8) : ((r) => (i: number) => BigInt(r(i)))(elementReader(buf, t.dtype));
  let k = 0;
  for (const i of stridedIndexes(t.shape, t.stride)) out[k++] = read(i);
  return out;
}

export interface CopyProgress {
  bytesDone: number;
  bytesTotal: number;
}

/** Bytes moved per step of copyTensorToFile: memory stays at two chunks whatever the tensor's size. */
export const COPY_CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * Writes a contiguous float32 or float64 tensor as little-endian float32 to the open file
 * `fd` at its current position, `COPY_CHUNK_BYTES` at a time, calling `onProgress` after
 * each chunk. Returns the bytes written (numel × 4).
 */
export function copyTensorToFile(t: TorchTensor, fd: number, onProgress?: (p: CopyProgress) => void): number {
  if (!t.contiguous) throw new TorchTensorError(`${t.describe()} is not contiguous; it cannot be streamed as rows`);
  if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new TorchTensorError(`${t.describe()}: only float tensors are copied as float32`);
  const es = t.storage.elementBytes;
  const total = t.numel * 4;
  const src = openSync(t.storage.file, 'r');
  try {
    const elementsPerChunk = Math.max(1, Math.floor(COPY_CHUNK_BYTES / es));
    const inBuf = Buffer.alloc(elementsPerChunk * es);
    const outBuf = t.dtype === 'float64' ? Buffer.alloc(elementsPerChunk * 4) : inBuf;
    let done = 0;
    for (let e = 0; e < t.numel; e += elementsPerChunk) {
      const n = Math.min(elementsPerChunk, t.numel - e);
      const at = t.storage.byteOffset + (t.storageOffset + e) * es;
      let got = 0;
      while (got < n * es) {
        const r = readSync(src, inBuf, got, n * es - got, at + got);
        if (r === 0) throw new TorchTensorError(`${t.storage.file}: the file ended inside ${t.storage.describe()} (at byte ${at + got})`);
        got += r;
      }
      if (t.dtype === 'float64') for (let i = 0; i < n; i++) outBuf.writeFloatLE(inBuf.readDoubleLE(i * 8), i * 4);
      let put = 0;
      while (put < n * 4) put += writeSync(fd, outBuf, put, n * 4 - put);
      done += n * 4;
      onProgress?.({ bytesDone: done, bytesTotal: total });
    }
    return total;
  } finally {
    closeSync(src);
  }
}
