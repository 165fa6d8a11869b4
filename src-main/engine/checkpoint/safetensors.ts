/**
 * Writing the safetensors container (8-byte little-endian header length, JSON header, raw
 * little-endian tensor bytes), the format PyTorch users load with `safetensors.torch`.
 * Hand-written because it is short and no maintained Node package writes it. Reading it
 * back, bounded and checked, is checkpoint-reader.ts.
 */
export const TENSOR_DTYPES = ['F32', 'F64', 'I32', 'I64', 'U8'] as const;
export type TensorDType = (typeof TENSOR_DTYPES)[number];
export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

export interface NamedTensor {
  dtype: TensorDType;
  shape: number[];
  data: TensorData;
}

export const DTYPE_BYTES: Record<TensorDType, number> = { F32: 4, F64: 8, I32: 4, I64: 8, U8: 1 };

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
