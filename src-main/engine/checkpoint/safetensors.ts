/**
 * The safetensors container (8-byte little-endian header length, JSON header, raw
 * little-endian tensor bytes), the format PyTorch users load with `safetensors.torch`.
 * Hand-written because it is ~100 lines and no maintained Node package writes it; the
 * reader validates the header with zod and bounds-checks every offset.
 */
import { z } from 'zod';
import { issuesOf, describeIssues } from '../../../shared/validation.ts';

export type TensorDType = 'F32' | 'F64' | 'I32' | 'I64' | 'U8';
export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

export interface NamedTensor {
  dtype: TensorDType;
  shape: number[];
  data: TensorData;
}

const BYTES: Record<TensorDType, number> = { F32: 4, F64: 8, I32: 4, I64: 8, U8: 1 };
const MAX_HEADER = 100 * 1024 * 1024;

const EntrySchema = z.object({
  dtype: z.enum(['F32', 'F64', 'I32', 'I64', 'U8']),
  shape: z.array(z.int().min(0)),
  data_offsets: z.tuple([z.int().min(0), z.int().min(0)]),
});

export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';
}

function dtypeOf(data: TensorData): TensorDType {
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof BigInt64Array) return 'I64';
  return 'U8';
}

export function encodeSafetensors(tensors: Map<string, NamedTensor>, metadata: Record<string, string> = {}): Buffer[] {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  const chunks: Buffer[] = [];
  for (const [name, t] of tensors) {
    if (name === '__metadata__') throw new SafetensorsError('a tensor cannot be named __metadata__');
    if (dtypeOf(t.data) !== t.dtype) throw new SafetensorsError(`tensor ${name}: dtype ${t.dtype} does not match its data`);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new SafetensorsError(`tensor ${name}: shape [${t.shape.join(', ')}] holds ${count} values, data has ${t.data.length}`);
    }
    const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    offset += bytes.length;
    chunks.push(bytes);
  }
  let json = JSON.stringify(header);
  // Pad so the data section starts 8-byte aligned (what the reference implementation does).
  const pad = (8 - ((8 + Buffer.byteLength(json)) % 8)) % 8;
  json += ' '.repeat(pad);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return [head, Buffer.from(json, 'utf8'), ...chunks];
}

export interface DecodedSafetensors {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
}

/** `source` names the file in errors. */
export function decodeSafetensors(buf: Buffer, source: string): DecodedSafetensors {
  if (buf.length < 8) throw new SafetensorsError(`${source}: too short to be a safetensors file (${buf.length} bytes)`);
  const headerLen = Number(buf.readBigUInt64LE(0));
  if (headerLen > MAX_HEADER || 8 + headerLen > buf.length) {
    throw new SafetensorsError(`${source}: header length ${headerLen} does not fit the file (${buf.length} bytes); truncated?`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8'));
  } catch {
    throw new SafetensorsError(`${source}: the header is not valid JSON`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new SafetensorsError(`${source}: the header is not a JSON object`);
  }
  const dataStart = 8 + headerLen;
  const dataLen = buf.length - dataStart;
  const tensors = new Map<string, NamedTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (name === '__metadata__') {
      const m = z.record(z.string(), z.string()).safeParse(value);
      if (!m.success) throw new SafetensorsError(`${source}: __metadata__ must map strings to strings`);
      metadata = m.data;
      continue;
    }
    const e = EntrySchema.safeParse(value);
    if (!e.success) throw new SafetensorsError(`${source}: tensor ${name}: ${describeIssues(issuesOf(e.error))}`);
    const { dtype, shape, data_offsets: [begin, end] } = e.data;
    const count = shape.reduce((a, b) => a * b, 1);
    if (end < begin || end > dataLen || end - begin !== count * BYTES[dtype]) {
      throw new SafetensorsError(`${source}: tensor ${name}: offsets [${begin}, ${end}) do not match shape [${shape.join(', ')}] ${dtype} within ${dataLen} data bytes; truncated?`);
    }
    // Copy: the caller may keep tensors after the file buffer is gone, and typed arrays need alignment.
    const bytes = Uint8Array.prototype.slice.call(buf, dataStart + begin, dataStart + end);
    const ab = bytes.buffer;
    const data: TensorData =
      dtype === 'F32' ? new Float32Array(ab) :
      dtype === 'F64' ? new Float64Array(ab) :
      dtype === 'I32' ? new Int32Array(ab) :
      dtype === 'I64' ? new BigInt64Array(ab) : new Uint8Array(ab);
    tensors.set(name, { dtype, shape, data });
  }
  return { tensors, metadata };
}
