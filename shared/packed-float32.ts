/**
 * Numbers packed as little-endian float32 in base64 text: the compact form of long numeric
 * columns in a JSON answer (a third of the bytes of decimal text, and parsed as one string
 * instead of one number at a time). Float32 keeps about 7 significant digits, far below a
 * pixel of a chart. NaN stands for "no value".
 */
import { z } from 'zod';

export const PackedFloat32Schema = z.base64();

/** Base64 characters of `count` packed numbers. */
export function packedFloat32Length(count: number): number {
  return Math.ceil((count * 4) / 3) * 4;
}

export function packFloat32(values: ArrayLike<number>): string {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  let text = '';
  // String.fromCharCode takes a bounded number of arguments: chunks of 8 KiB.
  for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return btoa(text);
}

/** The numbers of a packed column; throws when its length is not a whole number of float32s. */
export function unpackFloat32(packed: string): Float32Array {
  const text = atob(packed);
  if (text.length % 4 !== 0) throw new RangeError(`a packed float32 column of ${text.length} bytes (not a multiple of 4)`);
  const view = new DataView(new ArrayBuffer(text.length));
  for (let i = 0; i < text.length; i++) view.setUint8(i, text.charCodeAt(i));
  const out = new Float32Array(text.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
