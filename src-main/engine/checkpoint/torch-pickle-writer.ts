/**
 * Writes the object pickle of a torch checkpoint (`data.pkl`): protocol 2, and only what
 * `torch.load(..., weights_only=True)` accepts since torch 1.13 — dicts with string keys,
 * strings, ints, booleans and tensors. There are no plain floats: 1.13's weights-only
 * loader has no opcode for them, so a float is written as a 0-d float64 tensor. A tensor is pickled as torch does it:
 * `torch._utils._rebuild_tensor_v2(<persistent id ('storage', torch.FloatStorage, key,
 * 'cpu', numel)>, 0, size, stride, False, OrderedDict())`, its bytes going to the
 * storage record `data/<key>` (torch-zip-writer.ts).
 */

/** A tensor to write: float32, float64 or int64, row-major. */
export interface PthTensor {
  readonly kind: 'tensor';
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array | BigInt64Array;
}

export interface PthInt {
  readonly kind: 'int';
  readonly value: number;
}

export type PthValue = string | boolean | PthInt | PthTensor | PthDict;
export type PthDict = ReadonlyMap<string, PthValue>;

export const pthInt = (value: number): PthInt => ({ kind: 'int', value });
export const pthTensor = (shape: readonly number[], data: Float32Array | Float64Array | BigInt64Array): PthTensor => ({ kind: 'tensor', shape, data });
/** A float as torch 1.13's weights-only loader can read it: a 0-d float64 tensor. */
export const pthScalar = (value: number): PthTensor => pthTensor([], Float64Array.of(value));

export interface EncodedPickle {
  pickle: Buffer;
  /** Storage records in key order ('0', '1', ...): the raw little-endian bytes of each tensor. */
  storages: Array<{ key: string; bytes: Uint8Array }>;
}

const OP = {
  PROTO: 0x80, STOP: 0x2e, MARK: 0x28, EMPTY_DICT: 0x7d, SETITEMS: 0x75, BINUNICODE: 0x58, BININT: 0x4a,
  LONG1: 0x8a, NEWTRUE: 0x88, NEWFALSE: 0x89, GLOBAL: 0x63, TUPLE: 0x74, EMPTY_TUPLE: 0x29,
  BINPERSID: 0x51, REDUCE: 0x52,
} as const;

/** Items per SETITEMS, as Python's pickler batches them. */
const BATCH = 1000;

class PickleBuffer {
  private readonly parts: Buffer[] = [];
  op(...bytes: number[]): void {
    this.parts.push(Buffer.from(bytes));
  }
  raw(b: Buffer): void {
    this.parts.push(b);
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    const head = Buffer.alloc(5);
    head[0] = OP.BINUNICODE;
    head.writeUInt32LE(b.length, 1);
    this.parts.push(head, b);
  }
  int(v: number): void {
    if (!Number.isSafeInteger(v)) throw new RangeError(`${v} is not an integer`);
    if (v >= -0x80000000 && v <= 0x7fffffff) {
      const b = Buffer.alloc(5);
      b[0] = OP.BININT;
      b.writeInt32LE(v, 1);
      this.parts.push(b);
      return;
    }
    const b = Buffer.alloc(10);
    b[0] = OP.LONG1;
    b[1] = 8;
    b.writeBigInt64LE(BigInt(v), 2);
    this.parts.push(b);
  }
  global(module: string, name: string): void {
    this.op(OP.GLOBAL);
    this.raw(Buffer.from(`${module}\n${name}\n`, 'latin1'));
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Row-major strides of `shape`. */
function contiguousStride(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = s;
    s *= shape[i]!;
  }
  return out;
}

export function encodeTorchPickle(root: PthDict): EncodedPickle {
  const p = new PickleBuffer();
  const storages: EncodedPickle['storages'] = [];
  const ints = (xs: readonly number[]): void => {
    if (xs.length === 0) return p.op(OP.EMPTY_TUPLE);
    p.op(OP.MARK);
    xs.forEach((x) => p.int(x));
    p.op(OP.TUPLE);
  };
  const tensor = (t: PthTensor): void => {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (numel !== t.data.length) throw new RangeError(`tensor of shape [${t.shape.join(', ')}] has ${t.data.length} values`);
    const key = String(storages.length);
    storages.push({ key, bytes: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) });
    p.global('torch._utils', '_rebuild_tensor_v2');
    p.op(OP.MARK);
    p.op(OP.MARK);
    p.str('storage');
    p.global('torch', t.data instanceof Float32Array ? 'FloatStorage' : t.data instanceof Float64Array ? 'DoubleStorage' : 'LongStorage');
    p.str(key);
    p.str('cpu');
    p.int(numel);
    p.op(OP.TUPLE, OP.BINPERSID);
    p.int(0);
    ints(t.shape);
    ints(contiguousStride(t.shape));
    p.op(OP.NEWFALSE);
    p.global('collections', 'OrderedDict');
    p.op(OP.EMPTY_TUPLE, OP.REDUCE);
    p.op(OP.TUPLE, OP.REDUCE);
  };
  const value = (v: PthValue): void => {
    if (typeof v === 'string') return p.str(v);
    if (typeof v === 'boolean') return p.op(v ? OP.NEWTRUE : OP.NEWFALSE);
    if (v instanceof Map) return dict(v);
    const tagged = v as PthInt | PthTensor;
    return tagged.kind === 'int' ? p.int(tagged.value) : tensor(tagged);
  };
  const dict = (d: PthDict): void => {
    p.op(OP.EMPTY_DICT);
    const entries = [...d];
    for (let i = 0; i < entries.length; i += BATCH) {
      p.op(OP.MARK);
      for (const [k, v] of entries.slice(i, i + BATCH)) {
        p.str(k);
        value(v);
      }
      p.op(OP.SETITEMS);
    }
  };
  p.op(OP.PROTO, 2);
  dict(root);
  p.op(OP.STOP);
  return { pickle: p.done(), storages };
}
