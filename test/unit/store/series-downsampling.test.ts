import { test } from 'node:test';
import assert from 'node:assert/strict';
import { downsampleSeries, gridExtremes, minMaxIndexes } from '../../../src-main/store/series-downsampling.ts';

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

test('gridExtremes: at most two points per bucket at the bucket positions, the lowest and highest of each kept', () => {
  const candidates = Array.from({ length: 10_000 }, (_, i) => ({ x: i, value: i === 4_321 ? 77 : i === 9_000 ? -77 : Math.sin(i), step: i, epoch: i / 100, wall: i / 2 }));
  const g = gridExtremes(candidates, 0, 9_999, 50, 'step');
  assert.ok(g.value.length <= 100);
  assert.equal(new Set(g.step).size, g.step.length, 'no x twice');
  for (const x of g.step) assert.ok(Math.abs(((x / (9_999 / 50)) % 1) - 0.25) < 1e-3 || Math.abs(((x / (9_999 / 50)) % 1) - 0.75) < 1e-3, `x ${x} is a bucket position`);
  const spike = g.value.indexOf(77);
  assert.ok(spike >= 0 && g.value.includes(-77));
  assert.equal(g.epoch[spike], 43.21, 'the spike keeps its own epoch');
  assert.equal(Math.floor(g.step[spike]! / (9_999 / 50)), Math.floor(4_321 / (9_999 / 50)), 'in its own bucket');
  assert.deepEqual(gridExtremes([{ x: 5, value: 1, step: 5, epoch: 0, wall: 0 }], 0, 10, 2, 'epoch').epoch, [6.25, 8.75], 'one point fills both slots of its bucket');
});
