import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mergeTopK, TopK, type TopKList } from '../../../../src-main/engine/eval/top-k.ts';

/** The reference: sort every (similarity, row) pair, higher similarity first, lower row on ties. */
function bruteForce(values: readonly number[], k: number): { rows: number[]; sims: number[] } {
  const pairs = values.map((v, row) => ({ v: Math.fround(v), row })).filter((p) => !Number.isNaN(p.v));
  pairs.sort((a, b) => b.v - a.v || a.row - b.row);
  const top = pairs.slice(0, k);
  return { rows: top.map((p) => p.row), sims: top.map((p) => p.v) };
}

function plain(list: TopKList): { rows: number[]; sims: number[] } {
  return { rows: [...list.rows], sims: [...list.similarities] };
}

// Few distinct values so that ties are common, and some NaN.
const similarity = fc.oneof(
  fc.integer({ min: -4, max: 4 }).map((i) => i / 4),
  fc.float({ min: -1, max: 1, noNaN: true }),
  fc.constant(Number.NaN),
);

test('top-k of a stream equals the brute-force sort, ties to the lower row, NaN never kept', () => {
  fc.assert(
    fc.property(fc.array(similarity, { maxLength: 300 }), fc.integer({ min: 1, max: 40 }), (values, k) => {
      const top = new TopK(k);
      top.offerRange(Float32Array.from(values), 0);
      assert.deepEqual(plain(top.sorted()), bruteForce(values, k));
    }),
    { numRuns: 400 },
  );
});

test('merging the top-k of disjoint chunks, offered in any order, equals one pass over the whole bank', () => {
  fc.assert(
    fc.property(
      fc.array(similarity, { minLength: 1, maxLength: 300 }),
      fc.integer({ min: 1, max: 30 }),
      fc.integer({ min: 1, max: 64 }),
      fc.integer({ min: 0, max: 1_000_000 }),
      (values, k, chunk, seed) => {
        const data = Float32Array.from(values);
        const lists: TopKList[] = [];
        for (let start = 0; start < data.length; start += chunk) {
          const top = new TopK(k);
          top.offerRange(data, start, start, Math.min(data.length, start + chunk));
          lists.push(top.sorted());
        }
        // The merge must not depend on which chunk comes first.
        let s = seed;
        const shuffled = lists.map((l) => ({ l, r: (s = (s * 1103515245 + 12345) % 2147483648) })).sort((a, b) => a.r - b.r).map((x) => x.l);
        assert.deepEqual(plain(mergeTopK(shuffled, k)), bruteForce(values, k));
      },
    ),
    { numRuns: 400 },
  );
});

test('offers in reverse row order give the same list as in row order', () => {
  const values = [0.5, 0.5, 0.9, 0.5, 0.1, 0.9, 0.5];
  const forward = new TopK(4);
  values.forEach((v, i) => forward.offer(v, i));
  const backward = new TopK(4);
  for (let i = values.length - 1; i >= 0; i--) backward.offer(values[i]!, i);
  assert.deepEqual(plain(forward.sorted()), { rows: [2, 5, 0, 1], sims: [0.9, 0.9, 0.5, 0.5].map(Math.fround) });
  assert.deepEqual(plain(backward.sorted()), plain(forward.sorted()));
});

test('k must be a positive integer', () => {
  assert.throws(() => new TopK(0), /k must be a positive integer/);
  assert.throws(() => new TopK(2.5), /k must be a positive integer/);
});
