/**
 * Reads a PyTorch checkpoint (torch.save) in either serialisation, running nothing:
 *
 *  - zip (torch ≥ 1.6): `<name>/data.pkl` (the object), `<name>/data/<key>` (one stored
 *    record per storage), `<name>/version`, sometimes `<name>/byteorder`;
 *  - legacy (torch < 1.6, and `_use_new_zipfile_serialization=False`): pickles of the magic
 *    number, the protocol version and sys_info, then the object, then the list of storage
 *    keys, then each storage's raw bytes preceded by its 8-byte little-endian element count.
 *
 * The object is unpickled by safe-unpickler.ts with torch's allow-listed reconstructors
 * (tensors, parameters, OrderedDict, storage classes, torch.device/Size) and every other class
 * as an inert PyObject record (a pickled nn.Module, the reference's LinearAverage, an
 * argparse.Namespace): its __dict__ is readable, none of its code runs. Storages are not read:
 * each is a TorchStorage naming (file, byte offset, byte length, dtype), checked to lie inside
 * the file; torch-tensor.ts reads or streams them on demand.
 */
import { closeSync, fstatSync, openSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import {
  PickleError,
  PyClass,
  PyDict,
  PyTuple,
  bytesToLatin1,
  unpickleAt,
  type PickleBuilder,
  type PyValue,
  type UnpickleOptions,
} from './safe-unpickler.ts';
import { STORAGE_CLASSES, TorchStorage, TorchTensor, TorchTensorError } from './torch-tensor.ts';
import { ZipFormatError, findEndOfCentralDirectory, readAt, readZipDirectory, type ZipEntry } from './zip-directory.ts';

export type TorchSerialisation = 'zip' | 'legacy';

export class TorchFileError extends Error {
  override readonly name = 'TorchFileError';
  constructor(
    readonly path: string,
    readonly problem: string,
    /** Byte offset of the problem: in the file, or in `entry` when there is one. */
    readonly offset?: number,
    /** The zip entry the problem is in. */
    readonly entry?: string,
  ) {
    const where = entry === undefined
      ? (offset === undefined ? '' : ` (at byte ${offset})`)
      : ` (entry ${entry}${offset === undefined ? '' : `, byte ${offset}`})`;
    super(`${path}: ${problem}${where}`);
  }
}

export interface TorchFile {
  path: string;
  format: TorchSerialisation;
  bytes: number;
  /** The unpickled object (usually a PyDict). */
  root: PyValue;
  /** Every storage the object references, each placed in the file. */
  storages: TorchStorage[];
}

/** The legacy format's first pickle. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;
/** Largest pickle (data.pkl or the legacy object pickle) read into memory: they hold no tensor data. */
export const MAX_PICKLE_BYTES = 256 * 1024 * 1024;
/** First window of a legacy file read to find its pickles; doubled while a pickle runs past it. */
const LEGACY_WINDOW_BYTES = 1024 * 1024;

function intArg(v: PyValue | undefined, what: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new TypeError(`${what} must be an integer, got ${v === undefined ? 'nothing' : typeof v === 'bigint' ? String(v) : typeof v}`);
}

function intsArg(v: PyValue | undefined, what: string): number[] {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : null;
  if (!items) throw new TypeError(`${what} must be a tuple of integers`);
  if (items.length > 64) throw new TypeError(`${what} has ${items.length} dimensions`);
  return items.map((x, i) => intArg(x, `${what}[${i}]`));
}

function tensorArg(v: PyValue | undefined, what: string): TorchTensor {
  if (!(v instanceof TorchTensor)) throw new TypeError(`${what} must be a tensor`);
  return v;
}

function rebuildTensor(args: readonly PyValue[]): TorchTensor {
  const [storage, offset, size, stride, requiresGrad] = args;
  if (!(storage instanceof TorchStorage)) throw new TypeError('_rebuild_tensor expects a storage first');
  try {
    return new TorchTensor(storage, intArg(offset, 'storage_offset'), intsArg(size, 'size'), intsArg(stride, 'stride'), requiresGrad === true);
  } catch (e) {
    throw new TypeError(e instanceof TorchTensorError ? e.message : (e as Error).message);
  }
}

function asParameter(data: TorchTensor, requiresGrad: PyValue | undefined): TorchTensor {
  return new TorchTensor(data.storage, data.storageOffset, data.shape, data.stride, requiresGrad === true, true);
}

/** torch's reconstructors, as data builders: none of them calls anything. */
const TORCH_BUILDERS: ReadonlyMap<string, PickleBuilder> = new Map<string, PickleBuilder>([
  ['torch._utils._rebuild_tensor', rebuildTensor],
  ['torch._utils._rebuild_tensor_v2', rebuildTensor],
  ['torch._utils._rebuild_parameter', (a) => asParameter(tensorArg(a[0], 'parameter data'), a[1])],
  ['torch._utils._rebuild_parameter_with_state', (a) => asParameter(tensorArg(a[0], 'parameter data'), a[1])],
  ['torch._tensor._rebuild_from_type_v2', (a) => {
    const [fn, , args] = a;
    if (!(fn instanceof Object) || !('build' in fn) || typeof fn.build !== 'function' || !(args instanceof PyTuple)) {
      throw new TypeError('_rebuild_from_type_v2 expects an allow-listed reconstructor and its arguments');
    }
    return (fn.build as PickleBuilder)(args.items);
  }],
  ['torch.Size', (a) => new PyTuple(intsArg(a[0] ?? new PyTuple([]), 'torch.Size'))],
  ['torch.device', (a) => (a.length > 1 && a[1] !== null ? `${String(a[0])}:${String(a[1])}` : String(a[0]))],
]);

/** Turns a persistent id into a storage (or, in legacy files, a module class). */
function storageLoader(storages: Map<string, TorchStorage>, onNew: (s: TorchStorage) => void): (pid: PyValue) => PyValue {
  return (pid) => {
    if (!(pid instanceof PyTuple)) throw new TypeError(`a persistent id must be a tuple, got ${typeof pid}`);
    const [kind, ...rest] = pid.items;
    const typename = kind instanceof Uint8Array ? bytesToLatin1(kind) : kind;
    // Legacy files persist the class of a pickled nn.Module with its source: ('module', class, file, source).
    if (typename === 'module') {
      if (!(rest[0] instanceof PyClass)) throw new TypeError('a module persistent id must name a class');
      return rest[0];
    }
    if (typename !== 'storage') throw new TypeError(`unknown persistent id kind ${String(typename)}`);
    const [cls, keyValue, location, numel, view] = rest;
    if (!(cls instanceof PyClass) || !STORAGE_CLASSES.has(cls.qualified)) {
      throw new TypeError(`unsupported storage type ${cls instanceof PyClass ? cls.qualified : String(cls)}`);
    }
    const dtype = STORAGE_CLASSES.get(cls.qualified)!;
    const key = typeof keyValue === 'string' ? keyValue : keyValue instanceof Uint8Array ? bytesToLatin1(keyValue) : String(keyValue);
    const count = intArg(numel, `storage ${key} element count`);
    let root = storages.get(key);
    if (!root) {
      root = new TorchStorage(key, dtype, count, typeof location === 'string' ? location : 'cpu');
      storages.set(key, root);
      onNew(root);
    } else if (root.dtype !== dtype) {
      throw new TypeError(`storage ${key} is referenced as both ${root.dtype} and ${dtype}`);
    }
    if (view instanceof PyTuple) {
      const [viewKey, offset, size] = view.items;
      const off = intArg(offset, 'view offset');
      const len = intArg(size, 'view size');
      if (off < 0 || len < 0 || off + len > root.numel) throw new TypeError(`storage view ${String(viewKey)} [${off}, ${off + len}) exceeds ${root.describe()}`);
      return new TorchStorage(String(viewKey), dtype, len, root.location, { root, elementOffset: off });
    }
    return root;
  };
}

function pickleOptions(source: string, storages: Map<string, TorchStorage>, onNew: (s: TorchStorage) => void): UnpickleOptions {
  return { source, builders: TORCH_BUILDERS, inertObjects: true, persistentLoad: storageLoader(storages, onNew) };
}

function asFileError(path: string, err: unknown, entry?: string): TorchFileError {
  if (err instanceof TorchFileError) return err;
  if (err instanceof PickleError) return new TorchFileError(path, `${err.problem}`, err.offset, entry);
  if (err instanceof ZipFormatError) return new TorchFileError(path, err.problem, err.offset, entry);
  return new TorchFileError(path, err instanceof Error ? err.message : String(err), undefined, entry);
}

function readZip(path: string, fd: number, bytes: number, eocdAt: number): TorchFile {
  const entries = readZipDirectory(fd, bytes, eocdAt, path);
  const pickles = [...entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pickles.length !== 1) {
    throw new TorchFileError(path, pickles.length === 0
      ? 'a zip file without <name>/data.pkl: not a torch checkpoint'
      : `${pickles.length} data.pkl records (${pickles.join(', ')}); expected one`);
  }
  const pklName = pickles[0]!;
  const prefix = pklName.slice(0, -'data.pkl'.length);
  const stored = (e: ZipEntry): ZipEntry => {
    if (e.method !== 0 || e.size !== e.uncompressedSize) {
      throw new TorchFileError(path, `record is compressed (method ${e.method}); torch stores records uncompressed`, e.dataOffset, e.name);
    }
    return e;
  };
  const version = entries.get(`${prefix}version`) ?? entries.get(`${prefix}.data/version`);
  if (version) {
    const text = readAt(fd, Math.min(stored(version).size, 32), version.dataOffset, path).toString('latin1').trim();
    if (!/^\d+$/.test(text) || Number(text) > 10) throw new TorchFileError(path, `unsupported format version '${text}'`, version.dataOffset, version.name);
  }
  const byteorder = entries.get(`${prefix}byteorder`);
  if (byteorder) {
    const text = readAt(fd, Math.min(stored(byteorder).size, 16), byteorder.dataOffset, path).toString('latin1').trim();
    if (text !== 'little') throw new TorchFileError(path, `byte order '${text}' is not read (only little-endian)`, byteorder.dataOffset, byteorder.name);
  }
  const pkl = stored(entries.get(pklName)!);
  if (pkl.size > MAX_PICKLE_BYTES) throw new TorchFileError(path, `data.pkl of ${pkl.size} bytes exceeds the ${MAX_PICKLE_BYTES}-byte limit`, pkl.dataOffset, pklName);
  const data = readAt(fd, pkl.size, pkl.dataOffset, path);
  if ((crc32(data) >>> 0) !== pkl.crc32) throw new TorchFileError(path, 'CRC-32 mismatch: the record is corrupt', pkl.dataOffset, pklName);

  const storages = new Map<string, TorchStorage>();
  const placed: TorchStorage[] = [];
  const onNew = (s: TorchStorage): void => {
    const name = `${prefix}data/${s.key}`;
    const e = entries.get(name);
    if (!e) throw new TypeError(`storage ${s.key} has no record ${name}`);
    stored(e);
    if (e.size < s.byteLength) {
      throw new TypeError(`storage ${s.key} states ${s.numel} × ${s.dtype} (${s.byteLength} bytes) but its record ${name} holds ${e.size} bytes`);
    }
    s.place(path, e.dataOffset);
    placed.push(s);
  };
  let root: PyValue;
  try {
    const { value, end } = unpickleAt(data, { ...pickleOptions(`${path} (entry ${pklName})`, storages, onNew), offsetBase: 0 });
    if (end !== data.length) throw new TorchFileError(path, `${data.length - end} bytes follow the pickle's STOP`, end, pklName);
    root = value;
  } catch (err) {
    throw asFileError(path, err, pklName);
  }
  return { path, format: 'zip', bytes, root, storages: placed };
}

/**
 * Unpickles one pickle of a legacy file starting at `start`, reading a window of the file
 * that grows while the pickle runs past it (the pickles are small; the storages after them
 * are never read here).
 */
function legacyPickle(fd: number, bytes: number, start: number, path: string, opts: UnpickleOptions): { value: PyValue; end: number } {
  let window = Math.min(bytes - start, LEGACY_WINDOW_BYTES);
  for (;;) {
    const data = readAt(fd, window, start, path);
    try {
      const r = unpickleAt(data, { ...opts, source: path, offsetBase: start });
      return { value: r.value, end: start + r.end };
    } catch (err) {
      const grow = err instanceof PickleError && /truncated|exceeds the file size/.test(err.problem) && start + window < bytes;
      if (!grow) throw err;
      if (window >= MAX_PICKLE_BYTES) throw new TorchFileError(path, `a pickle runs past the ${MAX_PICKLE_BYTES}-byte limit`, start);
      window = Math.min(bytes - start, window * 4, MAX_PICKLE_BYTES);
    }
  }
}

function readLegacy(path: string, fd: number, bytes: number): TorchFile {
  const plain: UnpickleOptions = { source: path };
  const magic = legacyPickle(fd, bytes, 0, path, plain);
  if (magic.value !== LEGACY_MAGIC && !(typeof magic.value === 'number' && BigInt(magic.value) === LEGACY_MAGIC)) {
    throw new TorchFileError(path, 'the first pickle is not torch\'s magic number: not a torch checkpoint', 0);
  }
  const proto = legacyPickle(fd, bytes, magic.end, path, plain);
  if (proto.value !== LEGACY_PROTOCOL) throw new TorchFileError(path, `legacy protocol version ${String(proto.value)} is not ${LEGACY_PROTOCOL}`, magic.end);
  const sys = legacyPickle(fd, bytes, proto.end, path, plain);
  if (sys.value instanceof PyDict && sys.value.get('little_endian') === false) {
    throw new TorchFileError(path, 'the checkpoint was saved on a big-endian machine; only little-endian files are read', proto.end);
  }
  const storages = new Map<string, TorchStorage>();
  const main = legacyPickle(fd, bytes, sys.end, path, pickleOptions(path, storages, () => undefined));
  const keysPickle = legacyPickle(fd, bytes, main.end, path, plain);
  const keys = keysPickle.value;
  if (!Array.isArray(keys)) throw new TorchFileError(path, 'the storage key list is not a list', main.end);
  if (keys.length !== storages.size) {
    throw new TorchFileError(path, `the storage key list has ${keys.length} keys but the object references ${storages.size} storages`, main.end);
  }
  let pos = keysPickle.end;
  const placed: TorchStorage[] = [];
  for (const k of keys) {
    const key = typeof k === 'string' ? k : k instanceof Uint8Array ? bytesToLatin1(k) : String(k);
    const s = storages.get(key);
    if (!s) throw new TorchFileError(path, `the storage key list names ${key}, which the object does not reference`, main.end);
    if (pos + 8 > bytes) throw new TorchFileError(path, `storage ${key}: the file ends before its element count; truncated?`, pos);
    const count = readAt(fd, 8, pos, path).readBigInt64LE(0);
    const left = bytes - pos - 8;
    if (count < 0n || count * BigInt(s.elementBytes) > BigInt(left)) {
      throw new TorchFileError(path, `storage ${key} states ${count} × ${s.dtype} (${count * BigInt(s.elementBytes)} bytes), larger than the ${left} bytes left in the file; truncated or hostile?`, pos);
    }
    if (count !== BigInt(s.numel)) {
      throw new TorchFileError(path, `storage ${key} states ${count} elements, the object expects ${s.numel}`, pos);
    }
    const end = pos + 8 + s.byteLength;
    s.place(path, pos + 8);
    placed.push(s);
    pos = end;
  }
  return { path, format: 'legacy', bytes, root: main.value, storages: placed };
}

/** Reads the checkpoint at `path` (either serialisation). Throws TorchFileError naming the file and offset or entry. */
export function readTorchFile(path: string): TorchFile {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new TorchFileError(path, code === 'ENOENT' ? 'the file does not exist' : `cannot be read (${code ?? String(err)})`);
  }
  try {
    const bytes = fstatSync(fd).size;
    if (bytes < 4) throw new TorchFileError(path, `a ${bytes}-byte file is not a torch checkpoint`, 0);
    const head = readAt(fd, Math.min(bytes, 512), 0, path);
    if (head.readUInt32LE(0) === 0x04034b50) {
      const eocd = findEndOfCentralDirectory(fd, bytes, path);
      if (eocd === null) throw new TorchFileError(path, 'a zip file without its end record (central directory); truncated?', bytes);
      return readZip(path, fd, bytes, eocd);
    }
    if (head[0] === 0x80) return readLegacy(path, fd, bytes);
    if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar') {
      throw new TorchFileError(path, 'the tar serialisation of torch < 0.4 is not read; load and re-save it with a newer torch', 0);
    }
    throw new TorchFileError(path, 'neither a zip nor a pickle: not a torch checkpoint', 0);
  } catch (err) {
    throw asFileError(path, err);
  } finally {
    closeSync(fd);
  }
}
