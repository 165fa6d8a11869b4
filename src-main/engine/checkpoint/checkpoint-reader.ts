/**
 * Every read of a checkpoint file happens here: the safetensors container (an 8-byte
 * little-endian header length, that many bytes of JSON, then raw little-endian tensor
 * bytes), the SNCA header metadata, and the file's sha256. A checkpoint may come from
 * elsewhere (a file given to `snca eval`), so each size the file states is bounded before
 * it is used, nothing is allocated from an unchecked length, and every error names the file
 * and, where there is one, the byte offset of the problem.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { z } from 'zod';
import { describeIssues, issuesOf } from '../../../shared/validation.ts';
import { sha256Of } from './atomic-file.ts';
import { CheckpointMetadataSchema, type CheckpointHeader } from './checkpoint-format.ts';
import { DTYPE_BYTES, TENSOR_DTYPES, type NamedTensor, type TensorData, type TensorDType } from './safetensors.ts';

/** Largest JSON header accepted: a checkpoint's is a few kB, the safetensors format allows 100 MB. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;
/** Bytes read at a time while hashing, so a large memory bank is never held whole. */
const HASH_CHUNK_BYTES = 4 * 1024 * 1024;
/** Where the JSON header starts. */
const HEADER_START = 8;

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  constructor(
    readonly path: string,
    problem: string,
    /** Byte offset in the file the problem was found at, when it is about the content. */
    readonly offset?: number,
  ) {
    super(`${path}: ${problem}${offset === undefined ? '' : ` (at byte ${offset})`}`);
  }
}

interface TensorEntry {
  dtype: TensorDType;
  shape: number[];
  /** Offsets in the file (not relative to the data section). */
  begin: number;
  end: number;
}

/** The parsed header of a safetensors file, its tensor offsets checked against the file size. */
export interface SafetensorsLayout {
  metadata: Record<string, string>;
  tensors: Map<string, TensorEntry>;
  /** File offset of the first tensor byte. */
  dataStart: number;
}

export interface DecodedSafetensors {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
}

export interface LoadedCheckpoint {
  path: string;
  sha256: string;
  header: CheckpointHeader;
  tensors: Map<string, NamedTensor>;
}

const EntrySchema = z.object({
  dtype: z.enum(TENSOR_DTYPES),
  shape: z.array(z.int().min(0)),
  data_offsets: z.tuple([z.int().min(0), z.int().min(0)]),
});
const MetadataSchema = z.record(z.string(), z.string());

/** The header length stated by the first 8 bytes, checked against the limit and the file size. */
function headerLength(first8: Buffer, fileBytes: number, path: string): number {
  if (fileBytes < HEADER_START) {
    throw new CheckpointError(path, `the file is ${fileBytes} bytes, too short for the 8-byte safetensors header length`, 0);
  }
  const stated = first8.readBigUInt64LE(0);
  if (stated < 2n || stated > BigInt(MAX_HEADER_BYTES)) {
    throw new CheckpointError(path, `safetensors header length ${stated} is outside 2..${MAX_HEADER_BYTES} bytes; not a safetensors file`, 0);
  }
  const length = Number(stated);
  if (HEADER_START + length > fileBytes) {
    throw new CheckpointError(path, `the ${length}-byte header runs past the end of the ${fileBytes}-byte file; truncated?`, HEADER_START);
  }
  return length;
}

function parseLayout(json: Buffer, fileBytes: number, path: string): SafetensorsLayout {
  let raw: unknown;
  try {
    raw = JSON.parse(json.toString('utf8'));
  } catch {
    throw new CheckpointError(path, 'the safetensors header is not valid JSON', HEADER_START);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new CheckpointError(path, 'the safetensors header is not a JSON object', HEADER_START);
  }
  const dataStart = HEADER_START + json.length;
  const dataBytes = fileBytes - dataStart;
  const tensors = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (name === '__metadata__') {
      const m = MetadataSchema.safeParse(value);
      if (!m.success) throw new CheckpointError(path, '__metadata__ must map strings to strings', HEADER_START);
      metadata = m.data;
      continue;
    }
    const e = EntrySchema.safeParse(value);
    if (!e.success) throw new CheckpointError(path, `tensor ${name}: ${describeIssues(issuesOf(e.error))}`, HEADER_START);
    const { dtype, shape, data_offsets: [begin, end] } = e.data;
    const count = shape.reduce((a, b) => a * b, 1);
    if (end < begin || end > dataBytes || end - begin !== count * DTYPE_BYTES[dtype]) {
      throw new CheckpointError(
        path,
        `tensor ${name}: data offsets [${begin}, ${end}) do not match shape [${shape.join(', ')}] ${dtype} within ${dataBytes} data bytes; truncated?`,
        dataStart + begin,
      );
    }
    tensors.set(name, { dtype, shape, begin: dataStart + begin, end: dataStart + end });
  }
  return { metadata, tensors, dataStart };
}

function unreadable(path: string, err: unknown): CheckpointError {
  const code = (err as NodeJS.ErrnoException).code;
  return new CheckpointError(path, code === 'ENOENT' ? 'the checkpoint file does not exist' : `cannot be read (${code ?? String(err)})`);
}

function openOrFail(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (err) {
    throw unreadable(path, err);
  }
}

function readExactly(fd: number, length: number, position: number, path: string): Buffer {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) throw new CheckpointError(path, `the file ended after ${got} of ${length} bytes`, position + got);
    got += n;
  }
  return buf;
}

/** The header of a safetensors file, read without loading its tensors. */
export function readSafetensorsLayout(path: string): SafetensorsLayout {
  const fd = openOrFail(path);
  try {
    const fileBytes = fstatSync(fd).size;
    const first8 = fileBytes >= HEADER_START ? readExactly(fd, HEADER_START, 0, path) : Buffer.alloc(0);
    const length = headerLength(first8, fileBytes, path);
    return parseLayout(readExactly(fd, length, HEADER_START, path), fileBytes, path);
  } finally {
    closeSync(fd);
  }
}

/** A whole safetensors file held in memory; `path` names it in errors. */
export function decodeSafetensors(buf: Buffer, path: string): DecodedSafetensors {
  const length = headerLength(buf, buf.length, path);
  const layout = parseLayout(buf.subarray(HEADER_START, HEADER_START + length), buf.length, path);
  const tensors = new Map<string, NamedTensor>();
  for (const [name, { dtype, shape, begin, end }] of layout.tensors) {
    // Copy: the caller may keep tensors after the file buffer is gone, and typed arrays need alignment.
    const ab = Uint8Array.prototype.slice.call(buf, begin, end).buffer;
    const data: TensorData =
      dtype === 'F32' ? new Float32Array(ab) :
      dtype === 'F64' ? new Float64Array(ab) :
      dtype === 'I32' ? new Int32Array(ab) :
      dtype === 'I64' ? new BigInt64Array(ab) : new Uint8Array(ab);
    tensors.set(name, { dtype, shape, data });
  }
  return { tensors, metadata: layout.metadata };
}

function mismatch(path: string, expected: string, actual: string): CheckpointError {
  return new CheckpointError(path, `sha256 mismatch: recorded ${expected}, file has ${actual}; the file is corrupt or was replaced`);
}

/** The file's sha256, streamed in chunks; throws naming both hashes when it differs from `expected`. */
export function fileSha256(path: string, expected?: string): string {
  const fd = openOrFail(path);
  const hash = createHash('sha256');
  try {
    const buf = Buffer.allocUnsafe(HASH_CHUNK_BYTES);
    for (;;) {
      const n = readSync(fd, buf, 0, HASH_CHUNK_BYTES, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  const sha256 = hash.digest('hex');
  if (expected && expected !== sha256) throw mismatch(path, expected, sha256);
  return sha256;
}

function checkpointHeaderOf(metadata: Record<string, string>, path: string): CheckpointHeader {
  const meta = CheckpointMetadataSchema.safeParse(metadata);
  if (!meta.success) {
    throw new CheckpointError(path, `not an SNCA Studio checkpoint header: ${describeIssues(issuesOf(meta.error))}`, HEADER_START);
  }
  const known = new Set(Object.keys(CheckpointMetadataSchema.shape));
  const extra = Object.fromEntries(Object.entries(metadata).filter(([k]) => !known.has(k)));
  return { ...meta.data, extra };
}

/** A checkpoint's header (config, epoch, step, metrics) without its tensors. */
export function readCheckpointHeader(path: string): CheckpointHeader {
  return checkpointHeaderOf(readSafetensorsLayout(path).metadata, path);
}

/** A whole checkpoint: its sha256 checked against `expectedSha256` first, then header and tensors. */
export function readCheckpoint(path: string, opts: { expectedSha256?: string } = {}): LoadedCheckpoint {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw unreadable(path, err);
  }
  const sha256 = sha256Of(buf);
  if (opts.expectedSha256 && opts.expectedSha256 !== sha256) throw mismatch(path, opts.expectedSha256, sha256);
  const decoded = decodeSafetensors(buf, path);
  return { path, sha256, header: checkpointHeaderOf(decoded.metadata, path), tensors: decoded.tensors };
}
