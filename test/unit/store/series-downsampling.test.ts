import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendToBucket, bucketOf, gridXs } from '../../../shared/compare-grid.ts';
import { downsampleSeries, GridReducer, minMaxIndexes } from '../../../src-main/store/series-downsampling.ts';

test('short series are returned whole', () => {
  assert.deepEqual(minMaxIndexes([3, 1, 2], 10), [0, 1, 2]);
  assert.deepEqual(minMaxIndexes([], 10), []);
});

test('long series keep first, last, global min and max, within the budget and in order', () => {
  const n = 100_000;
  const value = Array.from({ length: n }, (_, i) => Math.sin(i / 50));
  value[31_337] = -40; // a dip
  value[77_777] = 55; // a spike
  for (const budget of [2, 3, 10, 101, 2000]) {
    const idx = minMaxIndexes(value, budget);
    assert.ok(idx.length <= budget, `budget ${budget}: got ${idx.length}`);
    assert.equal(idx[0], 0);
    assert.equal(idx.at(-1), n - 1);
    for (let i = 1; i < idx.length; i++) assert.ok(idx[i]! > idx[i - 1]!, 'strictly increasing');
    if (budget >= 4) {
      assert.ok(idx.includes(31_337), `budget ${budget} keeps the dip`);
      assert.ok(idx.includes(77_777), `budget ${budget} keeps the spike`);
    }
  }
});

test('downsampleSeries keeps the columns aligned', () => {
  const n = 1000;
  const step = Float64Array.from({ length: n }, (_, i) => i * 10);
  const epoch = Float64Array.from({ length: n }, (_, i) => i / 100);
  const value = Float64Array.from({ length: n }, (_, i) => (i === 500 ? 99 : i % 7));
  const out = downsampleSeries({ step, epoch, value }, 50);
  assert.ok(out.value.length <= 50);
  assert.equal(out.step.length, out.value.length);
  const at = out.value.indexOf(99);
  assert.ok(at >= 0);
  assert.equal(out.step[at], 5000);
  assert.equal(out.epoch[at], 5);
});

test('GridReducer: two slots per bucket, the lowest and highest point of each, the earlier first; bounded whatever the input', () => {
  const grid = { lo: 0, width: 9_999 / 50, buckets: 50 };
  const r = new GridReducer(grid);
  // Fed out of order, as block extremes are.
  for (let i = 9_999; i >= 0; i--) r.add(i, i === 4_321 ? 77 : i === 9_000 ? -77 : Math.sin(i));
  const slots = r.slots();
  assert.equal(slots.length, 100);
  const spike = slots.indexOf(77);
  assert.equal(Math.floor(spike / 2), bucketOf(grid, 4_321), 'the spike stays in its own bucket');
  assert.equal(slots[2 * bucketOf(grid, 9_000)], -77, 'the dip is the earlier slot: it comes before its bucket\'s highest point');
  for (let b = 0; b < 50; b++) {
    const values = Array.from({ length: 10_000 }, (_, i) => i).filter((i) => Math.min(49, bucketOf(grid, i)) === b);
    const want = values.map((i) => (i === 4_321 ? 77 : i === 9_000 ? -77 : Math.sin(i)));
    assert.deepEqual([Math.min(slots[2 * b]!, slots[2 * b + 1]!), Math.max(slots[2 * b]!, slots[2 * b + 1]!)], [Math.min(...want), Math.max(...want)], `bucket ${b}`);
  }
  assert.deepEqual(gridXs({ lo: 0, width: 5, buckets: 2 }), [1.25, 3.75, 6.25, 8.75]);
  const one = new GridReducer({ lo: 0, width: 5, buckets: 2 });
  one.add(7, 1);
  one.add(Number.NaN, 5);
  assert.deepEqual([...one.slots()], [Number.NaN, Number.NaN, 1, 1], 'one point fills both slots of its bucket; empty buckets are NaN');
});

test('appendToBucket: a later point joins its bucket\'s extremes in time order', () => {
  const v = new Float64Array([Number.NaN, Number.NaN, 1, 5]);
  assert.equal(appendToBucket(v, 0, 3), true);
  assert.deepEqual([...v], [3, 3, 1, 5]);
  assert.equal(appendToBucket(v, 1, 2), false, 'inside the extremes: nothing changes');
  appendToBucket(v, 1, 0);
  assert.deepEqual([...v.subarray(2)], [5, 0], 'a new low: the old high is now the earlier point');
  appendToBucket(v, 1, 9);
  assert.deepEqual([...v.subarray(2)], [0, 9]);
});
