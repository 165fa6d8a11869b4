import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { BankFileError, BankIndex } from '../../../../src-main/engine/eval/bank-search.ts';
import { TEST_BACKENDS, useBackend } from '../use-backend.ts';

/** Small-integer vectors: their inner products are exact in float32, so ties are real ties. */
function intRows(n: number, dim: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n * dim);
  for (let i = 0; i < out.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = (s >>> 28) - 8;
  }
  return out;
}

function bruteForce(bank: Float32Array, dim: number, query: Float32Array, k: number): { rows: number[]; sims: number[] } {
  const n = bank.length / dim;
  const pairs = Array.from({ length: n }, (_, row) => {
    let s = 0;
    for (let d = 0; d < dim; d++) s += bank[row * dim + d]! * query[d]!;
    return { row, s };
  });
  pairs.sort((a, b) => b.s - a.s || a.row - b.row);
  return { rows: pairs.slice(0, k).map((p) => p.row), sims: pairs.slice(0, k).map((p) => p.s) };
}

for (const backend of TEST_BACKENDS) {
  test(`bank search is exact against brute force over chunk boundaries, ties to the lower row (${backend})`, async () => {
    await useBackend(backend);
    const dim = 8;
    const base = intRows(150, dim, 7);
    // Rows 150..299 repeat rows 0..149: every similarity appears at least twice.
    const bank = new Float32Array(300 * dim);
    bank.set(base);
    bank.set(base, base.length);
    const queries = intRows(5, dim, 99);
    const before = tf.memory().numTensors;
    for (const chunkRows of [7, 64, 300, 1000]) {
      const index = BankIndex.fromRows(bank, dim, { chunkRows });
      try {
        const found = index.search(queries, 20);
        assert.equal(found.length, 5);
        found.forEach((list, qi) => {
          const want = bruteForce(bank, dim, queries.subarray(qi * dim, (qi + 1) * dim), 20);
          assert.deepEqual({ rows: [...list.rows], sims: [...list.similarities] }, want, `query ${qi}, chunks of ${chunkRows}`);
        });
      } finally {
        index.dispose();
      }
    }
    assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
  });
}

test('a bank file is searched like the same rows in memory; a truncated file is refused naming it', async () => {
  await useBackend('wasm');
  const dir = mkdtempSync(join(tmpdir(), 'snca-bank-'));
  try {
    const dim = 4;
    const rows = intRows(50, dim, 3);
    const file = join(dir, 'bank.f32');
    writeFileSync(file, new Uint8Array(rows.buffer));
    const index = BankIndex.fromFile(file, dim, { chunkRows: 16, expectedRows: 50 });
    assert.notEqual(index, 'cancelled');
    if (index === 'cancelled') return;
    try {
      const q = rows.slice(12 * dim, 13 * dim);
      const [hit] = index.search(q, 3);
      assert.deepEqual([...hit!.rows], bruteForce(rows, dim, q, 3).rows);
      assert.deepEqual([...index.row(12)], [...q]);
      assert.throws(() => index.row(50), /row 50 is outside \[0, 50\)/);
    } finally {
      index.dispose();
    }
    writeFileSync(file, new Uint8Array(rows.buffer, 0, rows.byteLength - 6));
    assert.throws(() => BankIndex.fromFile(file, dim), (e: unknown) => e instanceof BankFileError && e.message.startsWith(file) && /not a whole number of float32 rows/.test(e.message));
    writeFileSync(file, new Uint8Array(rows.buffer));
    assert.throws(() => BankIndex.fromFile(file, dim, { expectedRows: 51 }), /holds 50 rows but 51 were expected/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
