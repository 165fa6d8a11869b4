/**
 * The deterministic weights and inputs of test/fixtures/models/reference-outputs.json, computed
 * here exactly as test/fixtures/models/generate-fixtures.py computes them (32-bit integer hash,
 * so both languages produce bit-identical float64 values before rounding to float32).
 */
import type { StateDictEntry } from '../../../../src-main/engine/models/state-dict.ts';

export const INPUT_STREAM = 100000;
export const LOSS_STREAM = 200000;

/** n values in [-1, 1): murmur3's fmix32 of (i * golden + stream * c2 + c3) mod 2^32. */
export function hashUniform(stream: number, n: number): Float64Array {
  const out = new Float64Array(n);
  const base = (Math.imul(stream, 0x85ebca77) + 0x27d4eb2f) >>> 0;
  for (let i = 0; i < n; i++) {
    let h = (Math.imul(i, 0x9e3779b1) + base) >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h ^= h >>> 16;
    out[i] = ((h >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** Value of state_dict entry number `index` (torch layout), as the Python script defines it. */
export function fixtureEntry(index: number, name: string, shape: readonly number[], dtype: 'float32' | 'int64'): StateDictEntry {
  if (dtype === 'int64') return { shape: [...shape], dtype: 'int64', data: new BigInt64Array([3n]) };
  const n = shape.reduce((a, b) => a * b, 1);
  const v = hashUniform(index + 1, n);
  const out = new Float32Array(n);
  let f: (x: number) => number;
  if (name.endsWith('running_mean')) f = (x) => 0.1 * x;
  else if (name.endsWith('running_var')) f = (x) => 1 + 0.4 * x;
  else if (name.endsWith('bias')) f = (x) => 0.1 * x;
  else if (shape.length >= 2) {
    const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
    const s = Math.sqrt(6 / fanIn);
    f = (x) => x * s;
  } else f = (x) => 1 + 0.2 * x;
  for (let i = 0; i < n; i++) out[i] = f(v[i]!);
  return { shape: [...shape], dtype: 'float32', data: out };
}

export function fixtureStateDict(entries: ReadonlyArray<{ name: string; shape: readonly number[]; dtype: 'float32' | 'int64' }>): Map<string, StateDictEntry> {
  return new Map(entries.map((e, i) => [e.name, fixtureEntry(i, e.name, e.shape, e.dtype)] as const));
}

/** The fixture input, generated in NCHW like torch and returned as NHWC data. */
export function fixtureInputNHWC(batch: number, h: number, w: number, c: number, stream = INPUT_STREAM): Float32Array {
  const nchw = hashUniform(stream, batch * c * h * w);
  const out = new Float32Array(nchw.length);
  for (let b = 0; b < batch; b++)
    for (let cc = 0; cc < c; cc++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) out[((b * h + y) * w + x) * c + cc] = nchw[((b * c + cc) * h + y) * w + x]!;
  return out;
}
