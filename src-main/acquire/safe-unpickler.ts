/**
 * A pickle reader that runs no code. It interprets the data opcodes of protocols 0–5 and
 * only the few callables needed to rebuild numpy arrays (the CIFAR "python version" files
 * are Python 2 cPickle dicts of numpy arrays and lists). Any other global — os.system,
 * builtins.eval, a user class — is refused with an error naming it, before anything is
 * called: there is nothing to call, the allow-listed "callables" are plain data builders.
 *
 * Torch checkpoints (torch-pickle.ts) widen this in two ways, both still running nothing:
 * the caller adds its own data builders (`builders`, e.g. torch._utils._rebuild_tensor_v2)
 * and resolves persistent ids (`persistentLoad`); and with `inertObjects` a class that is not
 * allow-listed becomes a PyClass that can only be instantiated as an inert PyObject record
 * (NEWOBJ, copyreg._reconstructor) whose state BUILD stores, never called through REDUCE.
 * Modules that only hold code to run (os, posix, subprocess, builtins, ...) are refused by
 * name even then, so a hostile file fails at the global it names.
 *
 * Python 2 `str` (and Python 3 `bytes`) become Uint8Array, as `pickle.load(f, encoding='bytes')`
 * would give; dict lookups by name accept either str or bytes keys.
 */

export class PickleError extends Error {
  override readonly name = 'PickleError';
  constructor(
    readonly source: string,
    readonly offset: number,
    readonly problem: string,
  ) {
    super(`${source}: ${problem} (pickle byte ${offset})`);
  }
}

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyTuple
  | PyDict
  | PySet
  | NdArray
  | DType
  | PyGlobal
  | PyClass
  | PyObject
  | PyOpaque;

/** Base of values a caller's builder makes (e.g. torch tensors); the unpickler only carries them. */
export abstract class PyOpaque {
  abstract describe(): string;
}

/** A class that is not allow-listed, named but inert: it can be recorded, never called. */
export class PyClass {
  constructor(readonly qualified: string) {}
}

/**
 * An instance of a class that is not allow-listed (a user nn.Module, argparse.Namespace,
 * ...): its class name, the arguments it was created with, and the state BUILD gave it,
 * usually its __dict__. Nothing of the class runs.
 */
export class PyObject {
  state: PyValue | undefined = undefined;
  constructor(
    readonly className: string,
    readonly args: readonly PyValue[],
  ) {}

  /** An attribute of the __dict__ state (BUILD's dict, or the dict of a (dict, slots) pair). */
  attr(name: string): PyValue | undefined {
    const st = this.state instanceof PyTuple ? this.state.items[0] : this.state;
    return st instanceof PyDict ? st.get(name) : undefined;
  }
}

export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}

export class PySet {
  constructor(
    readonly items: PyValue[],
    readonly frozen: boolean,
  ) {}
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes → text for messages and for bytes-keyed dict lookups. */
export function bytesToLatin1(b: Uint8Array): string {
  // Not TextDecoder('latin1'): WHATWG maps that label to windows-1252, which differs in 0x80–0x9f.
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

function keyId(k: PyValue): string {
  if (k === null) return 'N';
  if (typeof k === 'string') return 's:' + k;
  if (k instanceof Uint8Array) return 'b:' + bytesToLatin1(k);
  if (typeof k === 'number' || typeof k === 'bigint') return 'n:' + String(k);
  if (typeof k === 'boolean') return k ? 'n:1' : 'n:0';
  if (k instanceof PyTuple) return 't:(' + k.items.map(keyId).join(',') + ')';
  throw new TypeError(`unhashable dict key of type ${describe(k)}`);
}

export class PyDict {
  private readonly map = new Map<string, [PyValue, PyValue]>();
  /** State a BUILD gave the dict (an OrderedDict's attributes such as state_dict `_metadata`). */
  attributes: PyValue | undefined = undefined;
  set(key: PyValue, value: PyValue): void {
    this.map.set(keyId(key), [key, value]);
  }
  /** Value under `name` as a str key or as a bytes key (Python 2 pickles use bytes). */
  get(name: string): PyValue | undefined {
    const s = this.map.get('s:' + name);
    if (s) return s[1];
    return this.map.get('b:' + name)?.[1];
  }
  has(name: string): boolean {
    return this.map.has('s:' + name) || this.map.has('b:' + name);
  }
  keys(): PyValue[] {
    return [...this.map.values()].map((e) => e[0]);
  }
  get size(): number {
    return this.map.size;
  }
  /** [key, value] pairs in insertion order. */
  entries(): Array<[PyValue, PyValue]> {
    return [...this.map.values()];
  }
}

export type DTypeKind = 'u' | 'i' | 'f' | 'b';

/** numpy dtype of a plain numeric array (object, string and structured dtypes are refused). */
export class DType {
  byteOrder: '<' | '>' | '|' | '=';
  constructor(
    readonly kind: DTypeKind,
    readonly itemSize: number,
    byteOrder: '<' | '>' | '|' | '=',
  ) {
    this.byteOrder = byteOrder;
  }
  get str(): string {
    return `${this.byteOrder}${this.kind}${this.itemSize}`;
  }
}

export type NumericArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

export class NdArray {
  constructor(
    public dtype: DType,
    public shape: number[],
    public fortranOrder: boolean,
    /** Raw element bytes as stored in the pickle (a view, not a copy). */
    public bytes: Uint8Array,
  ) {}

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** The elements as a typed array in native (little-endian) order; copies only if needed. */
  values(): NumericArray {
    const { kind, itemSize } = this.dtype;
    const n = this.size;
    if (this.bytes.length !== n * itemSize) {
      throw new RangeError(`array data has ${this.bytes.length} bytes, shape ${JSON.stringify(this.shape)} of ${this.dtype.str} needs ${n * itemSize}`);
    }
    let b = this.bytes;
    if (this.dtype.byteOrder === '>' && itemSize > 1) {
      b = new Uint8Array(b);
      for (let i = 0; i < b.length; i += itemSize) b.subarray(i, i + itemSize).reverse();
    } else if (b.byteOffset % itemSize !== 0) {
      b = new Uint8Array(b);
    }
    const buf = b.buffer;
    const off = b.byteOffset;
    switch (`${kind}${itemSize}`) {
      case 'u1': case 'b1': return new Uint8Array(buf, off, n);
      case 'i1': return new Int8Array(buf, off, n);
      case 'u2': return new Uint16Array(buf, off, n);
      case 'i2': return new Int16Array(buf, off, n);
      case 'u4': return new Uint32Array(buf, off, n);
      case 'i4': return new Int32Array(buf, off, n);
      case 'u8': return new BigUint64Array(buf, off, n);
      case 'i8': return new BigInt64Array(buf, off, n);
      case 'f4': return new Float32Array(buf, off, n);
      case 'f8': return new Float64Array(buf, off, n);
      default: throw new TypeError(`unsupported dtype ${this.dtype.str}`);
    }
  }
}

/** Globals the reader will resolve; everything else is refused by name. */
type Builder =
  | 'ndarray-reconstruct'
  | 'ndarray-type'
  | 'dtype'
  | 'frombuffer'
  | 'scalar'
  | 'codecs-encode'
  | 'bytearray'
  | 'caller';

/** A data builder the caller allow-lists: it gets the REDUCE arguments and returns a value. */
export type PickleBuilder = (args: readonly PyValue[]) => PyValue;

/** Builders every `inertObjects` reader knows: containers and the plain-object reconstructor. */
const INERT_MODE_BUILDERS: ReadonlyMap<string, PickleBuilder> = new Map<string, PickleBuilder>([
  ['collections.OrderedDict', orderedDict],
  ['collections.defaultdict', () => new PyDict()],
  ['builtins.set', (args) => new PySet(listArg(args[0]), false)],
  ['__builtin__.set', (args) => new PySet(listArg(args[0]), false)],
  ['builtins.frozenset', (args) => new PySet(listArg(args[0]), true)],
  ['__builtin__.frozenset', (args) => new PySet(listArg(args[0]), true)],
  ['copyreg._reconstructor', reconstructor],
  ['copy_reg._reconstructor', reconstructor],
]);

/** Globals that are inert when only named (copyreg._reconstructor's base class). */
const NAMED_ONLY = new Set(['builtins.object', '__builtin__.object']);

/**
 * Modules whose globals are code to run, refused by name even in inertObjects mode (where
 * other unknown globals become inert classes): a hostile pickle fails at the name it gives.
 */
const REFUSED_MODULES = new Set([
  'builtins', '__builtin__', 'os', 'posix', 'nt', 'posixpath', 'ntpath', 'subprocess', 'sys', 'shutil', 'socket',
  'importlib', 'runpy', 'pty', 'code', 'codeop', 'ctypes', 'pickle', '_pickle', 'cPickle', 'marshal', 'types',
  'functools', 'operator', 'io', '_io', 'tempfile', 'webbrowser', 'multiprocessing', 'signal', 'commands',
  'platform', 'pdb', 'timeit', 'trace', 'profile', 'cProfile', 'inspect', 'gc', 'eval', 'exec', 'torch.hub',
  'torch.storage', 'torch.serialization', 'torch.jit', 'torch._C', 'torch.ops', 'numpy.testing', 'numpy.f2py',
]);

function listArg(v: PyValue | undefined): PyValue[] {
  if (v === undefined) return [];
  if (Array.isArray(v)) return [...v];
  if (v instanceof PyTuple) return [...v.items];
  if (v instanceof PySet) return [...v.items];
  throw new TypeError(`expected a list, got ${describe(v)}`);
}

function orderedDict(args: readonly PyValue[]): PyValue {
  const d = new PyDict();
  for (const pair of listArg(args[0])) {
    const kv = pair instanceof PyTuple ? pair.items : Array.isArray(pair) ? pair : null;
    if (!kv || kv.length !== 2) throw new TypeError('OrderedDict items must be (key, value) pairs');
    d.set(kv[0]!, kv[1]!);
  }
  return d;
}

function reconstructor(args: readonly PyValue[]): PyValue {
  const [cls] = args;
  if (!(cls instanceof PyClass)) throw new TypeError(`copyreg._reconstructor expects a class, got ${describe(cls)}`);
  return new PyObject(cls.qualified, []);
}

const ALLOWED_GLOBALS: ReadonlyMap<string, Builder> = new Map([
  ['numpy.core.multiarray._reconstruct', 'ndarray-reconstruct'],
  ['numpy._core.multiarray._reconstruct', 'ndarray-reconstruct'],
  ['numpy.ndarray', 'ndarray-type'],
  ['numpy.dtype', 'dtype'],
  ['numpy.core.numeric._frombuffer', 'frombuffer'],
  ['numpy._core.numeric._frombuffer', 'frombuffer'],
  ['numpy.core.multiarray.scalar', 'scalar'],
  ['numpy._core.multiarray.scalar', 'scalar'],
  ['_codecs.encode', 'codecs-encode'],
  ['builtins.bytearray', 'bytearray'],
  ['__builtin__.bytearray', 'bytearray'],
]);

/** A reference to an allow-listed global (e.g. numpy.ndarray); never executable. */
export class PyGlobal {
  constructor(
    readonly qualified: string,
    readonly builder: Builder,
    /** The caller's builder, for builder 'caller'. */
    readonly build?: PickleBuilder,
  ) {}
}

const MARK = Symbol('mark');
type StackItem = PyValue | typeof MARK;

function describe(v: unknown): string {
  if (v === null) return 'None';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return 'list';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyDict) return 'dict';
  if (v instanceof NdArray) return 'ndarray';
  if (v instanceof DType) return 'dtype';
  if (v instanceof PyGlobal) return `global ${v.qualified}`;
  if (v instanceof PyClass) return `class ${v.qualified}`;
  if (v instanceof PyObject) return `${v.className} object`;
  if (v instanceof PyOpaque) return v.describe();
  if (v === MARK) return 'mark';
  return typeof v;
}

function parseDTypeSpec(spec: string): DType | null {
  const m = /^([<>|=]?)([uifb])(\d+)$/.exec(spec);
  if (!m) return null;
  const size = Number(m[3]);
  if (![1, 2, 4, 8].includes(size)) return null;
  const order = (m[1] || (size === 1 ? '|' : '<')) as DType['byteOrder'];
  return new DType(m[2] as DTypeKind, size, order);
}

function decodePythonStringLiteral(lit: string): Uint8Array {
  const q = lit[0];
  if ((q !== "'" && q !== '"') || lit[lit.length - 1] !== q) throw new Error('malformed STRING literal');
  const body = lit.slice(1, -1);
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      out.push(body.charCodeAt(i) & 0xff);
      continue;
    }
    const n = body[++i];
    const simple: Record<string, number> = { n: 10, r: 13, t: 9, '\\': 92, "'": 39, '"': 34, a: 7, b: 8, f: 12, v: 11, '0': 0 };
    if (n === 'x') {
      out.push(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (/[0-7]/.test(n) && /[0-7]/.test(body[i + 1] ?? '')) {
      let j = i;
      while (j < i + 3 && /[0-7]/.test(body[j] ?? '')) j++;
      out.push(parseInt(body.slice(i, j), 8) & 0xff);
      i = j - 1;
    } else if (n in simple) {
      out.push(simple[n]);
    } else {
      out.push(92, n.charCodeAt(0) & 0xff);
    }
  }
  return Uint8Array.from(out);
}

function decodeRawUnicodeEscape(b: Uint8Array): string {
  // raw-unicode-escape is latin-1 plus \uXXXX / \UXXXXXXXX escapes.
  const s = bytesToLatin1(b);
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, u4: string | undefined, u8: string | undefined) =>
    String.fromCodePoint(parseInt((u4 ?? u8) as string, 16)),
  );
}

/**
 * Two's-complement little-endian bytes (LONG1/LONG4) to an integer in linear time: one hex
 * string parsed at once, where shifting byte by byte would be quadratic in the length.
 */
function bigintFromLE(b: Uint8Array): bigint {
  if (b.length === 0) return 0n;
  const hex = Buffer.from(b).reverse().toString('hex');
  return BigInt.asIntN(8 * b.length, BigInt(`0x${hex}`));
}

/** CPython's limit on decimal digits in an int ↔ str conversion (sys.int_info.default_max_str_digits). */
export const MAX_INT_STR_DIGITS = 4300;

function intValue(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

export interface UnpickleOptions {
  /** Name of the file for error messages. */
  source?: string;
  /** Where the pickle starts in `data` (error offsets stay offsets in `data`). */
  start?: number;
  /** Added to every offset an error reports (where `data` itself starts in the file). */
  offsetBase?: number;
  /** More allow-listed data builders, by qualified name (module.name). */
  builders?: ReadonlyMap<string, PickleBuilder>;
  /** Resolves a persistent id (PERSID/BINPERSID); without it they are refused. */
  persistentLoad?: (pid: PyValue) => PyValue;
  /** Classes that are not allow-listed become inert PyClass/PyObject records instead of errors. */
  inertObjects?: boolean;
}

/** Reads one pickled object from `data`. Throws PickleError on anything unsafe or malformed. */
export function unpickle(data: Uint8Array, opts: UnpickleOptions = {}): PyValue {
  return unpickleAt(data, opts).value;
}

/** Reads one pickled object starting at `opts.start`; also returns where it ended (after STOP). */
export function unpickleAt(data: Uint8Array, opts: UnpickleOptions = {}): { value: PyValue; end: number } {
  const source = opts.source ?? '<pickle>';
  const base = opts.offsetBase ?? 0;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = opts.start ?? 0;
  let opStart = 0;
  const stack: StackItem[] = [];
  const memo = new Map<number, StackItem>();

  const fail = (problem: string): never => {
    throw new PickleError(source, base + opStart, problem);
  };
  const need = (n: number): void => {
    if (n < 0 || pos + n > data.length) fail(`truncated: needs ${n} more bytes, file has ${data.length - pos}`);
  };
  const u8 = (): number => {
    need(1);
    return data[pos++];
  };
  const u16 = (): number => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = (): number => {
    need(4);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(data.length)) fail(`length ${v} exceeds the file size`);
    return Number(v);
  };
  const bytes = (n: number): Uint8Array => {
    need(n);
    const b = data.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const lineBytes = (): Uint8Array => {
    const end = data.indexOf(10, pos);
    if (end < 0) fail('truncated: unterminated text line');
    const b = data.subarray(pos, end);
    pos = end + 1;
    return b;
  };
  const line = (): string => bytesToLatin1(lineBytes());
  /** A text integer line, refused past CPython's digit limit before it is converted. */
  const decimalLine = (what: string): string => {
    const b = lineBytes();
    if (b.length > MAX_INT_STR_DIGITS + 2) fail(`${what} literal of ${b.length} characters exceeds the limit (${MAX_INT_STR_DIGITS} digits) for integer string conversion`);
    return bytesToLatin1(b);
  };
  const pop = (): StackItem => {
    if (stack.length === 0) fail('stack underflow');
    return stack.pop() as StackItem;
  };
  const popValue = (): PyValue => {
    const v = pop();
    if (v === MARK) fail('unexpected MARK on the stack');
    return v as PyValue;
  };
  const top = (): StackItem => {
    if (stack.length === 0) fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): PyValue[] => {
    const k = stack.lastIndexOf(MARK);
    if (k < 0) fail('MARK expected on the stack');
    const items = stack.splice(k + 1);
    stack.pop();
    return items as PyValue[];
  };
  const utf8Text = (b: Uint8Array): string => {
    try {
      return utf8.decode(b);
    } catch {
      return fail('invalid UTF-8 in a unicode string');
    }
  };
  const resolveGlobal = (module: string, name: string): PyGlobal | PyClass => {
    const q = `${module}.${name}`;
    const b = ALLOWED_GLOBALS.get(q);
    if (b) return new PyGlobal(q, b);
    const own = opts.builders?.get(q) ?? (opts.inertObjects ? INERT_MODE_BUILDERS.get(q) : undefined);
    if (own) return new PyGlobal(q, 'caller', own);
    if (opts.inertObjects) {
      if (NAMED_ONLY.has(q)) return new PyClass(q);
      const top = module.split('.')[0]!;
      if (REFUSED_MODULES.has(module) || REFUSED_MODULES.has(top)) {
        fail(`refusing global '${q}': it names code to run, and a data file only needs data`);
      }
      return new PyClass(q);
    }
    return fail(`refusing global '${q}': only numpy array reconstruction is allowed in data files`);
  };
  const call = (fn: PyGlobal, args: readonly PyValue[]): PyValue => {
    switch (fn.builder) {
      case 'ndarray-reconstruct': {
        const [subtype] = args;
        if (!(subtype instanceof PyGlobal) || subtype.builder !== 'ndarray-type' || args.length !== 3) {
          fail(`${fn.qualified} expects (numpy.ndarray, shape, typecode)`);
        }
        return new NdArray(new DType('u', 1, '|'), [0], false, new Uint8Array(0));
      }
      case 'dtype': {
        const spec = args[0] instanceof Uint8Array ? bytesToLatin1(args[0]) : args[0];
        if (typeof spec !== 'string') return fail(`numpy.dtype expects a type string, got ${describe(spec)}`);
        const dt = parseDTypeSpec(spec);
        if (!dt) fail(`unsupported numpy dtype '${spec}' (only numeric dtypes are read)`);
        return dt as DType;
      }
      case 'frombuffer': {
        const [buf, dtype, shape, order] = args;
        if (!(buf instanceof Uint8Array) || !(dtype instanceof DType) || !(shape instanceof PyTuple)) {
          return fail(`${fn.qualified} expects (buffer, dtype, shape, order)`);
        }
        const orderText = order instanceof Uint8Array ? bytesToLatin1(order) : order;
        return new NdArray(dtype, shapeOf(shape), orderText === 'F', buf);
      }
      case 'scalar': {
        const [dtype, raw] = args;
        if (!(dtype instanceof DType) || !(raw instanceof Uint8Array)) return fail(`${fn.qualified} expects (dtype, bytes)`);
        const v = new NdArray(dtype, [1], false, raw).values()[0];
        return typeof v === 'bigint' ? intValue(v) : v;
      }
      case 'codecs-encode': {
        const [text, enc] = args;
        if (typeof text !== 'string') return fail(`_codecs.encode expects a str, got ${describe(text)}`);
        const encoding = typeof enc === 'string' ? enc.toLowerCase() : 'utf-8';
        if (encoding === 'latin1' || encoding === 'latin-1' || encoding === 'iso-8859-1') {
          const out = new Uint8Array(text.length);
          for (let i = 0; i < text.length; i++) {
            const c = text.charCodeAt(i);
            if (c > 255) fail('_codecs.encode: character outside latin-1');
            out[i] = c;
          }
          return out;
        }
        if (encoding === 'utf-8' || encoding === 'utf8') return new TextEncoder().encode(text);
        return fail(`_codecs.encode: unsupported encoding '${String(enc)}'`);
      }
      case 'bytearray': {
        const [a, enc] = args;
        if (a === undefined) return new Uint8Array(0);
        if (a instanceof Uint8Array) return Uint8Array.from(a);
        if (typeof a === 'string') return call(new PyGlobal('_codecs.encode', 'codecs-encode'), [a, enc ?? 'utf-8']);
        return fail(`bytearray: unsupported argument ${describe(a)}`);
      }
      case 'ndarray-type':
        return fail('numpy.ndarray cannot be called directly');
      case 'caller':
        return (fn.build as PickleBuilder)(args);
    }
  };
  const shapeOf = (t: PyValue): number[] => {
    if (!(t instanceof PyTuple)) return fail(`array shape must be a tuple, got ${describe(t)}`);
    return t.items.map((d) => {
      if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) return fail(`bad array dimension ${String(d)}`);
      return d;
    });
  };
  const build = (obj: StackItem, state: PyValue): void => {
    if (obj instanceof NdArray) {
      if (!(state instanceof PyTuple)) return fail(`ndarray state must be a tuple, got ${describe(state)}`);
      const s = state.items.length === 5 ? state.items.slice(1) : state.items;
      if (s.length !== 4) return fail(`ndarray state has ${state.items.length} items, expected 4 or 5`);
      const [shape, dtype, fortran, raw] = s;
      if (!(dtype instanceof DType)) return fail('ndarray state: dtype expected');
      if (!(raw instanceof Uint8Array)) return fail(`ndarray state: raw bytes expected, got ${describe(raw)} (object arrays are not read)`);
      obj.shape = shapeOf(shape);
      obj.dtype = dtype;
      obj.fortranOrder = fortran === true || fortran === 1;
      obj.bytes = raw;
      if (raw.length !== obj.size * dtype.itemSize) {
        fail(`ndarray data has ${raw.length} bytes; shape ${JSON.stringify(obj.shape)} of ${dtype.str} needs ${obj.size * dtype.itemSize}`);
      }
      return;
    }
    if (obj instanceof DType) {
      if (!(state instanceof PyTuple) || state.items.length < 2) return fail('dtype state must be a tuple');
      const bo = state.items[1] instanceof Uint8Array ? bytesToLatin1(state.items[1]) : state.items[1];
      if (bo !== '<' && bo !== '>' && bo !== '|' && bo !== '=') return fail(`dtype byte order '${String(bo)}' not understood`);
      if (state.items[3] != null || state.items[4] != null) fail('structured dtypes are not read');
      obj.byteOrder = bo === '=' ? '<' : bo;
      return;
    }
    if (obj instanceof PyObject) {
      obj.state = state;
      return;
    }
    if (obj instanceof PyDict && opts.inertObjects) {
      obj.attributes = state;
      return;
    }
    fail(`BUILD on ${describe(obj)} is not allowed`);
  };

  try {
    const value = run();
    return { value, end: pos };
  } catch (err) {
    if (err instanceof PickleError) throw err;
    // Anything else (an array too large to allocate, a deep structure, a builder's refusal) still names the file and offset.
    throw new PickleError(source, base + opStart, err instanceof Error ? err.message : String(err));
  }

  function run(): PyValue {
    for (;;) {
      opStart = pos;
      if (pos >= data.length) fail('truncated: no STOP opcode');
      const op = data[pos++];
      switch (op) {
        case 0x80: { // PROTO
          const v = u8();
          if (v > 5) fail(`unsupported pickle protocol ${v}`);
          break;
        }
        case 0x95: // FRAME
          u64();
          break;
        case 0x2e: { // STOP
          return popValue();
        }
        case 0x28: stack.push(MARK); break; // MARK
        case 0x30: pop(); break; // POP
        case 0x31: popMark(); break; // POP_MARK
        case 0x32: stack.push(top()); break; // DUP
        case 0x4e: stack.push(null); break; // NONE
        case 0x88: stack.push(true); break; // NEWTRUE
        case 0x89: stack.push(false); break; // NEWFALSE
        case 0x4b: stack.push(u8()); break; // BININT1
        case 0x4d: stack.push(u16()); break; // BININT2
        case 0x4a: stack.push(i32()); break; // BININT
        case 0x8a: stack.push(intValue(bigintFromLE(bytes(u8())))); break; // LONG1
        case 0x8b: { // LONG4
          const n = i32();
          if (n < 0) fail('negative LONG4 length');
          stack.push(intValue(bigintFromLE(bytes(n))));
          break;
        }
        case 0x49: { // INT
          const s = decimalLine('INT');
          if (s === '01') stack.push(true);
          else if (s === '00') stack.push(false);
          else if (/^[-+]?\d+$/.test(s)) stack.push(intValue(BigInt(s)));
          else fail(`bad INT literal '${s}'`);
          break;
        }
        case 0x4c: { // LONG
          const s = decimalLine('LONG').replace(/L$/, '');
          if (!/^[-+]?\d+$/.test(s)) fail(`bad LONG literal '${s}'`);
          stack.push(intValue(BigInt(s)));
          break;
        }
        case 0x46: { // FLOAT
          const s = line();
          const v = Number(s);
          if (Number.isNaN(v) && !/nan/i.test(s)) fail(`bad FLOAT literal '${s}'`);
          stack.push(v);
          break;
        }
        case 0x47: { // BINFLOAT (big-endian)
          need(8);
          stack.push(view.getFloat64(pos, false));
          pos += 8;
          break;
        }
        case 0x53: { // STRING
          try {
            stack.push(decodePythonStringLiteral(line()));
          } catch {
            fail('malformed STRING literal');
          }
          break;
        }
        case 0x54: { // BINSTRING
          const n = i32();
          if (n < 0) fail('negative BINSTRING length');
          stack.push(bytes(n));
          break;
        }
        case 0x55: stack.push(bytes(u8())); break; // SHORT_BINSTRING
        case 0x42: stack.push(bytes(u32())); break; // BINBYTES
        case 0x43: stack.push(bytes(u8())); break; // SHORT_BINBYTES
        case 0x8e: stack.push(bytes(u64())); break; // BINBYTES8
        case 0x96: stack.push(Uint8Array.from(bytes(u64()))); break; // BYTEARRAY8
        case 0x98: break; // READONLY_BUFFER: no-op on in-band data
        case 0x56: stack.push(decodeRawUnicodeEscape(lineBytes())); break; // UNICODE
        case 0x58: stack.push(utf8Text(bytes(u32()))); break; // BINUNICODE
        case 0x8c: stack.push(utf8Text(bytes(u8()))); break; // SHORT_BINUNICODE
        case 0x8d: stack.push(utf8Text(bytes(u64()))); break; // BINUNICODE8
        case 0x29: stack.push(new PyTuple([])); break; // EMPTY_TUPLE
        case 0x74: stack.push(new PyTuple(popMark())); break; // TUPLE
        case 0x85: stack.push(new PyTuple([popValue()])); break; // TUPLE1
        case 0x86: { // TUPLE2
          const b = popValue();
          const a = popValue();
          stack.push(new PyTuple([a, b]));
          break;
        }
        case 0x87: { // TUPLE3
          const c = popValue();
          const b = popValue();
          const a = popValue();
          stack.push(new PyTuple([a, b, c]));
          break;
        }
        case 0x5d: stack.push([]); break; // EMPTY_LIST
        case 0x6c: stack.push(popMark()); break; // LIST
        case 0x61: { // APPEND
          const v = popValue();
          const l = top();
          if (!Array.isArray(l)) fail(`APPEND to ${describe(l)}`);
          (l as PyValue[]).push(v);
          break;
        }
        case 0x65: { // APPENDS
          const items = popMark();
          const l = top();
          if (!Array.isArray(l)) fail(`APPENDS to ${describe(l)}`);
          for (const it of items) (l as PyValue[]).push(it);
          break;
        }
        case 0x7d: stack.push(new PyDict()); break; // EMPTY_DICT
        case 0x64: { // DICT
          const items = popMark();
          if (items.length % 2) fail('DICT with an odd number of items');
          const d = new PyDict();
          for (let i = 0; i < items.length; i += 2) setItem(d, items[i], items[i + 1]);
          stack.push(d);
          break;
        }
        case 0x73: { // SETITEM
          const v = popValue();
          const k = popValue();
          const d = top();
          if (!(d instanceof PyDict)) fail(`SETITEM on ${describe(d)}`);
          setItem(d as PyDict, k, v);
          break;
        }
        case 0x75: { // SETITEMS
          const items = popMark();
          const d = top();
          if (!(d instanceof PyDict)) fail(`SETITEMS on ${describe(d)}`);
          if (items.length % 2) fail('SETITEMS with an odd number of items');
          for (let i = 0; i < items.length; i += 2) setItem(d as PyDict, items[i], items[i + 1]);
          break;
        }
        case 0x8f: stack.push(new PySet([], false)); break; // EMPTY_SET
        case 0x90: { // ADDITEMS
          const items = popMark();
          const s = top();
          if (!(s instanceof PySet)) fail(`ADDITEMS on ${describe(s)}`);
          // A loop, not push(...items): millions of arguments overflow the call stack.
          for (const it of items) (s as PySet).items.push(it);
          break;
        }
        case 0x91: stack.push(new PySet(popMark(), true)); break; // FROZENSET
        case 0x70: memo.set(Number(line()), top()); break; // PUT
        case 0x71: memo.set(u8(), top()); break; // BINPUT
        case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
        case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
        case 0x67: stack.push(fromMemo(Number(line()))); break; // GET
        case 0x68: stack.push(fromMemo(u8())); break; // BINGET
        case 0x6a: stack.push(fromMemo(u32())); break; // LONG_BINGET
        case 0x63: { // GLOBAL
          const module = line();
          const name = line();
          stack.push(resolveGlobal(module, name));
          break;
        }
        case 0x93: { // STACK_GLOBAL
          const name = popValue();
          const module = popValue();
          if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL expects two strings');
          stack.push(resolveGlobal(module as string, name as string));
          break;
        }
        case 0x52: { // REDUCE
          const args = popValue();
          const fn = pop();
          if (fn instanceof PyClass) fail(`refusing to call '${fn.qualified}': only allow-listed reconstructors are interpreted`);
          if (!(fn instanceof PyGlobal)) fail(`REDUCE on ${describe(fn)}`);
          if (!(args instanceof PyTuple)) fail(`REDUCE arguments must be a tuple, got ${describe(args)}`);
          stack.push(call(fn as PyGlobal, (args as PyTuple).items));
          break;
        }
        case 0x62: { // BUILD
          const state = popValue();
          build(top(), state);
          break;
        }
        case 0x69: fail('refusing INST opcode (instantiates arbitrary classes)'); break;
        case 0x6f: fail('refusing OBJ opcode (instantiates arbitrary classes)'); break;
        case 0x81: { // NEWOBJ: cls.__new__(cls, *args), recorded inertly
          const args = popValue();
          const cls = popValue();
          if (!opts.inertObjects) fail('refusing NEWOBJ opcode (instantiates arbitrary classes)');
          stack.push(newObject(cls, args, null));
          break;
        }
        case 0x92: { // NEWOBJ_EX
          const kwargs = popValue();
          const args = popValue();
          const cls = popValue();
          if (!opts.inertObjects) fail('refusing NEWOBJ_EX opcode (instantiates arbitrary classes)');
          stack.push(newObject(cls, args, kwargs));
          break;
        }
        case 0x50: { // PERSID
          const pid = line();
          if (!opts.persistentLoad) fail('refusing persistent ids (PERSID/BINPERSID)');
          stack.push(persistent(pid));
          break;
        }
        case 0x51: { // BINPERSID
          const pid = popValue();
          if (!opts.persistentLoad) fail('refusing persistent ids (PERSID/BINPERSID)');
          stack.push(persistent(pid));
          break;
        }
        case 0x82: case 0x83: case 0x84: fail('refusing extension registry opcodes (EXT1/2/4)'); break;
        case 0x97: fail('refusing out-of-band buffers (NEXT_BUFFER)'); break;
        default:
          fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
      }
    }
  }

  function newObject(cls: PyValue, args: PyValue, _kwargs: PyValue): PyValue {
    if (cls instanceof PyGlobal && cls.builder === 'caller') {
      // An allow-listed type instantiated without arguments to its constructor (e.g. OrderedDict).
      return call(cls, []);
    }
    if (!(cls instanceof PyClass)) return fail(`NEWOBJ on ${describe(cls)}`);
    if (!(args instanceof PyTuple)) return fail(`NEWOBJ arguments must be a tuple, got ${describe(args)}`);
    return new PyObject(cls.qualified, args.items);
  }
  function persistent(pid: PyValue): PyValue {
    return (opts.persistentLoad as (p: PyValue) => PyValue)(pid);
  }
  function fromMemo(k: number): StackItem {
    if (!memo.has(k)) fail(`memo key ${k} is not defined`);
    return memo.get(k) as StackItem;
  }
  function setItem(d: PyDict, k: PyValue, v: PyValue): void {
    try {
      d.set(k, v);
    } catch (e) {
      fail((e as Error).message);
    }
  }
}

/** Text of a str or bytes value (CIFAR label names are Python 2 str, i.e. bytes). */
export function pyText(v: PyValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) {
    try {
      return utf8.decode(v);
    } catch {
      return bytesToLatin1(v);
    }
  }
  return undefined;
}
