import { test } from 'node:test';
import assert from 'node:assert/strict';
import { discordantCounts, mcnemarExact } from '../../../src-main/core/mcnemar.ts';

/** Reference values from scipy.stats: min(1, 2 * binom.cdf(min(b, c), b + c, 0.5)). */
const KNOWN: [number, number, number][] = [
  [1, 6, 0.125],
  [10, 2, 0.03857421875],
  [121, 59, 4.4344492637551645e-6],
  [86, 150, 3.7159361395713866e-5],
  [30, 45, 0.10534226887460482],
  [0, 12, 0.00048828125],
  [400, 350, 0.07350777405843484],
  [5000, 4900, 0.31974241576397044],
];

test('McNemar exact p-values match scipy to 1e-9 relative', () => {
  for (const [b, c, p] of KNOWN) {
    const r = mcnemarExact(b, c);
    assert.ok(Math.abs(r.pValue - p) <= 1e-9 * p, `b=${b} c=${c}: ${r.pValue} vs ${p}`);
    assert.equal(mcnemarExact(c, b).pValue, r.pValue, 'symmetric in A and B');
  }
});

test('no discordant pairs, or a tie, is p = 1', () => {
  assert.equal(mcnemarExact(0, 0).pValue, 1);
  assert.equal(mcnemarExact(5, 5).pValue, 1);
  assert.equal(mcnemarExact(0, 1).pValue, 1);
});

test('huge counts stay finite and tiny', () => {
  const p = mcnemarExact(20_000, 10_000).pValue;
  assert.ok(p >= 0 && p < 1e-300, String(p));
  assert.ok(Number.isFinite(mcnemarExact(50_000, 50_010).pValue));
});

test('counts are checked', () => {
  assert.throws(() => mcnemarExact(-1, 2), /non-negative integers/);
  assert.throws(() => mcnemarExact(1.5, 2), /non-negative integers/);
});

test('discordant counts from per-image correctness', () => {
  assert.deepEqual(discordantCounts([1, 1, 0, 0, 1], [1, 0, 1, 0, 0]), { onlyA: 2, onlyB: 1 });
  assert.throws(() => discordantCounts([1], [1, 0]), /same images/);
});
