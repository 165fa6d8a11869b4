import { test } from 'node:test';
import assert from 'node:assert/strict';
import { downsampleSeries, minMaxIndexes } from '../../../src-main/store/series-downsampling.ts';

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
