/**
 * Test helper: activates a backend through the engine's own selection (so the wasm custom
 * kernels get registered), ignoring any SNCA_BACKEND of the environment, and fails loudly
 * if a different backend came up.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectBackend, type BackendInfo } from '../../../src-main/engine/backend.ts';

export type TestBackend = 'cpu' | 'wasm';
export const TEST_BACKENDS: readonly TestBackend[] = ['cpu', 'wasm'];

export async function useBackend(name: TestBackend): Promise<BackendInfo> {
  const forced = process.env.SNCA_BACKEND;
  delete process.env.SNCA_BACKEND;
  try {
    const info = await selectBackend({ prefer: name });
    assert.equal(info.name, name, `wanted the ${name} backend, got ${info.name}`);
    return info;
  } finally {
    if (forced !== undefined) process.env.SNCA_BACKEND = forced;
  }
}

/** Deterministic values in [-1, 1) (mulberry32), so failures reproduce. */
export function seededValues(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** Rows of `values` ([rows, cols]) scaled to unit L2 length, in place; returns it. */
export function normaliseRows(values: Float32Array, cols: number): Float32Array {
  for (let r = 0; r < values.length / cols; r++) {
    let s = 0;
    for (let d = 0; d < cols; d++) s += values[r * cols + d]! ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let d = 0; d < cols; d++) values[r * cols + d]! *= inv;
  }
  return values;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The public reference vectors, kept next to the repository (see the brief). */
export const PUBLIC_VECTORS = path.resolve(repoRoot, '..', 'shared', 'vectors', 'snca-public.json');
