import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { provideThreadStarter } from '../../../../src-main/engine/engine-threads.ts';
import { BankFileError, BankIndex } from '../../../../src-main/engine/eval/bank-search.ts';
import { startWorkerEntryThread } from '../../../../src-main/workers/worker-entry.ts';

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

/** The reference: every row's float64 product in dimension order, sorted; NaN never kept. */
function bruteForce(bank: Float32Array, dim: number, query: Float32Array, k: number): { rows: number[]; sims: number[] } {
  const n = bank.length / dim;
  const pairs = Array.from({ length: n }, (_, row) => {
    let s = 0;
    for (let d = 0; d < dim; d++) s += bank[row * dim + d]! * query[d]!;
    return { row, s };
  }).filter((p) => !Number.isNaN(p.s));
  pairs.sort((a, b) => b.s - a.s || a.row - b.row);
  const top = pairs.slice(0, k);
  return { rows: top.map((p) => p.row), sims: top.map((p) => Math.fround(p.s)) };
}

function assertExact(index: BankIndex, bank: Float32Array, dim: number, queries: Float32Array, k: number, what: string): void {
  const found = index.search(queries, k);
  assert.equal(found.length, queries.length / dim);
  found.forEach((list, qi) => {
    const want = bruteForce(bank, dim, queries.subarray(qi * dim, (qi + 1) * dim), k);
    assert.deepEqual({ rows: [...list.rows], sims: [...list.similarities] }, want, `${what}, query ${qi}`);
  });
}

function unitRows(n: number, dim: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 1) / 4294967297;
  const out = new Float32Array(n * dim);
  for (let r = 0; r < n; r++) {
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const v = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
      out[r * dim + d] = v;
      norm += v * v;
    }
    for (let d = 0; d < dim; d++) out[r * dim + d]! /= Math.sqrt(norm);
  }
  return out;
}

test('bank search is exact against brute force over chunk boundaries, ties to the lower row', () => {
  const dim = 8;
  const base = intRows(150, dim, 7);
  // Rows 150..299 repeat rows 0..149: every similarity appears at least twice.
  const bank = new Float32Array(300 * dim);
  bank.set(base);
  bank.set(base, base.length);
  const queries = intRows(5, dim, 99);
  for (const chunkRows of [7, 64, 300, 1000]) {
    const index = BankIndex.fromRows(bank, dim, { chunkRows });
    try {
      assertExact(index, bank, dim, queries, 20, `chunks of ${chunkRows}`);
      assertExact(index, bank, dim, queries.subarray(0, dim), 20, `one query, chunks of ${chunkRows}`);
    } finally {
      index.dispose();
    }
  }
});

// Values that make ties, near-ties (a few ulps apart), zeros, and the rows the int8 bound
// cannot cover (NaN, ±Infinity, huge, subnormal).
const value = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -3, max: 3 }).map((i) => i / 2) },
  { weight: 6, arbitrary: fc.float({ min: -1, max: 1, noNaN: true, noDefaultInfinity: true }) },
  { weight: 2, arbitrary: fc.constantFrom(0.5 + 2 ** -24, 0.5 - 2 ** -25, 1 - 2 ** -24, 1e-40, -1e-42) },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity, -Infinity, 3e20, -1e16) },
);

test('fast-check: search equals the brute-force sort for random banks (duplicates, ties, near-ties, k > rows, zero and odd rows, batches)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 0, max: 70 }),
      fc.integer({ min: 1, max: 30 }),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      fc.boolean(),
      (dim, n, k, nq, seed, withOdd) => {
        let s = seed;
        const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
        const pick = fc.sample(withOdd ? value : fc.integer({ min: -3, max: 3 }).map((i) => i / 2), { numRuns: (n + nq) * dim + 1, seed });
        const bank = Float32Array.from(pick.slice(0, n * dim));
        // Duplicated rows and all-zero rows.
        for (let r = 0; r < n; r++) {
          const u = rnd();
          if (u < 0.2 && r > 0) bank.copyWithin(r * dim, Math.floor(rnd() * r) * dim, (Math.floor(rnd() * r) + 1) * dim);
          else if (u < 0.3) bank.fill(0, r * dim, (r + 1) * dim);
        }
        const queries = Float32Array.from(pick.slice(n * dim, (n + nq) * dim));
        if (rnd() < 0.3 && n > 0) queries.set(bank.subarray(0, dim)); // a bank row as the query
        if (rnd() < 0.1) queries.fill(0, 0, dim); // the zero query
        const index = BankIndex.fromRows(bank, dim, { chunkRows: 1 + Math.floor(rnd() * 32) });
        try {
          assertExact(index, bank, dim, queries, k, `dim ${dim}, rows ${n}, k ${k}`);
        } finally {
          index.dispose();
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('near-ties the int8 codes cannot separate are ranked by their exact similarity', () => {
  // Rows are one unit vector plus perturbations of 1e-4 (far below an int8 step of 1/127 of the
  // largest value), so every row's interval overlaps the others' and the re-rank decides.
  const dim = 64;
  const n = 3000;
  const base = unitRows(1, dim, 5);
  const noise = unitRows(n, dim, 6);
  const bank = new Float32Array(n * dim);
  for (let r = 0; r < n; r++) for (let d = 0; d < dim; d++) bank[r * dim + d] = base[d]! + 1e-4 * noise[r * dim + d]!;
  // Exact duplicates of a few rows, far apart, to tie at the top.
  bank.copyWithin(2500 * dim, 17 * dim, 18 * dim);
  bank.copyWithin(2999 * dim, 17 * dim, 18 * dim);
  const index = BankIndex.fromRows(bank, dim);
  try {
    const queries = new Float32Array(3 * dim);
    queries.set(base);
    queries.set(bank.subarray(17 * dim, 18 * dim), dim);
    queries.set(unitRows(1, dim, 9), 2 * dim);
    assertExact(index, bank, dim, queries, 20, 'near-ties');
    assert.ok(index.rerankedRows > 1000, `the bound was in play: ${index.rerankedRows} rows re-ranked`);
  } finally {
    index.dispose();
  }
});

test('random unit vectors: a search re-ranks a small fraction of the bank', () => {
  const dim = 128;
  const n = 20000;
  const bank = unitRows(n, dim, 1);
  const queries = unitRows(64, dim, 2);
  const index = BankIndex.fromRows(bank, dim);
  try {
    assertExact(index, bank, dim, queries.subarray(0, 4 * dim), 20, 'unit vectors');
    const single = index.search(queries.subarray(0, dim), 20)[0]!;
    assert.deepEqual([...single.rows], bruteForce(bank, dim, queries.subarray(0, dim), 20).rows);
    const before = index.rerankedRows;
    const batch = index.search(queries, 20);
    assert.equal(batch.length, 64);
    assert.deepEqual([...batch[63]!.rows], bruteForce(bank, dim, queries.subarray(63 * dim), 20).rows);
    assert.ok((index.rerankedRows - before) / 64 < 500, `${(index.rerankedRows - before) / 64} rows re-ranked per query of 20000`);
  } finally {
    index.dispose();
  }
});

test('with a ThreadStarter the second half of the rows is scanned on the helper thread, with the same exact result', async () => {
  provideThreadStarter(startWorkerEntryThread);
  const dim = 16;
  const n = 40000;
  // Unit rows, with row 5 repeated at the far end (a tie across the two threads' halves).
  const bank = unitRows(n, dim, 11);
  bank.copyWithin((n - 1) * dim, 5 * dim, 6 * dim);
  const index = BankIndex.fromRows(bank, dim);
  try {
    for (let i = 0; i < 300 && index.threads < 2; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(index.threads, 2, 'the helper thread came up');
    const queries = unitRows(8, dim, 12);
    queries.set(bank.subarray(5 * dim, 6 * dim));
    assertExact(index, bank, dim, queries, 20, 'two threads, batch');
    assertExact(index, bank, dim, queries.subarray(0, dim), 20, 'two threads, one query');
    assertExact(index, bank, dim, queries.subarray(dim, 2 * dim), n + 5, 'two threads, k > rows');
    assert.equal(index.threads, 2, 'the helper answered every part (a failure retires it)');
    const one = BankIndex.fromRows(bank, dim, { oneThread: true });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(one.threads, 1, 'oneThread: no helper');
    assertExact(one, bank, dim, queries.subarray(0, dim), 20, 'one thread');
    one.dispose();
  } finally {
    index.dispose();
    provideThreadStarter(null);
  }
  assert.equal(index.threads, 1);
});

test('a bank file is searched like the same rows in memory; a truncated file is refused naming it', () => {
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
      assertExact(index, rows, dim, q, 3, 'file');
      assertExact(index, rows, dim, intRows(3, dim, 8), 50, 'file, k = rows');
      assert.deepEqual([...index.row(12)], [...q]);
      assert.throws(() => index.row(50), /row 50 is outside \[0, 50\)/);
    } finally {
      index.dispose();
    }
    assert.throws(() => index.search(q0(dim), 1), /disposed/);
    assert.equal(BankIndex.fromFile(file, dim, { cancelled: () => true }), 'cancelled');
    writeFileSync(file, new Uint8Array(rows.buffer, 0, rows.byteLength - 6));
    assert.throws(() => BankIndex.fromFile(file, dim), (e: unknown) => e instanceof BankFileError && e.message.startsWith(file) && /not a whole number of float32 rows/.test(e.message));
    writeFileSync(file, new Uint8Array(rows.buffer));
    assert.throws(() => BankIndex.fromFile(file, dim, { expectedRows: 51 }), /holds 50 rows but 51 were expected/);
    const missing = join(dir, 'missing.f32');
    assert.throws(() => BankIndex.fromFile(missing, dim), (e: unknown) => e instanceof BankFileError && e.message.includes(missing));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function q0(dim: number): Float32Array {
  return new Float32Array(dim);
}
