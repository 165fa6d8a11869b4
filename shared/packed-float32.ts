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

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const CODE = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
const PAD = '='.charCodeAt(0);
/** Base64 character code → its 6 bits (255: not base64). */
const BITS = new Uint8Array(256).fill(255);
CODE.forEach((c, i) => (BITS[c] = i));

/** Base64 of bytes, written as ASCII codes and decoded once (no per-character strings). */
function toBase64(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = CODE[n >> 18]!;
    out[o++] = CODE[(n >> 12) & 63]!;
    out[o++] = CODE[(n >> 6) & 63]!;
    out[o++] = CODE[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    out[o++] = CODE[n >> 18]!;
    out[o++] = CODE[(n >> 12) & 63]!;
    out[o++] = rest === 2 ? CODE[(n >> 6) & 63]! : PAD;
    out[o++] = PAD;
  }
  return new TextDecoder().decode(out);
}

function fromBase64(text: string): Uint8Array {
  if (text.length % 4 !== 0) throw new RangeError(`a packed column of ${text.length} base64 characters (not a multiple of 4)`);
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const a = BITS[text.charCodeAt(i)]!;
    const b = BITS[text.charCodeAt(i + 1)]!;
    const c = i + 2 < text.length - pad ? BITS[text.charCodeAt(i + 2)]! : 0;
    const d = i + 3 < text.length - pad ? BITS[text.charCodeAt(i + 3)]! : 0;
    if ((a | b | c | d) === 255) throw new RangeError(`not base64 at character ${i}`);
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

export function packFloat32(values: ArrayLike<number>): string {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return toBase64(bytes);
}

/** The numbers of a packed column; throws when it is not base64 of a whole number of float32s. */
export function unpackFloat32(packed: string): Float32Array {
  const bytes = fromBase64(packed);
  if (bytes.length % 4 !== 0) throw new RangeError(`a packed float32 column of ${bytes.length} bytes (not a multiple of 4)`);
  const view = new DataView(bytes.buffer);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
