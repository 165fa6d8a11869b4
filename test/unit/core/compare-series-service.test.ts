import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetricPoint } from '../../../shared/domain.ts';
import { CompareSeriesService } from '../../../src-main/core/compare-series-service.ts';
import { METRIC_BLOCK_SIZES } from '../../../src-main/store/metrics-repository.ts';
import { openStore, type Store } from '../../../src-main/store/store.ts';
import { newRun } from '../../fixtures/run-records.ts';

const T0 = Date.UTC(2026, 0, 1);

function seed(store: Store, id: string, n: number, value: (i: number) => number, batch = 997, stepEvery = 1): void {
  store.runs.insert(newRun(id));
  const pts: MetricPoint[] = [];
  for (let i = 0; i < n; i++) {
    pts.push({ key: 'loss', step: i * stepEvery, epoch: i / 100, value: value(i), wallTime: T0 + i * 500 });
    if (pts.length === batch) store.metrics.insert(id, pts.splice(0));
  }
  if (pts.length) store.metrics.insert(id, pts);
}

test('long series share one grid of buckets: bounded output, every spike and dip kept, at most 2 x values per bucket', () => {
  const store = openStore(':memory:');
  seed(store, 'a', 20_000, (i) => (i === 12_345 ? 50 : Math.sin(i / 30)));
  seed(store, 'b', 20_000, (i) => (i === 777 ? -60 : Math.cos(i / 40)), 64);
  seed(store, 'c', 300, (i) => i / 300, 997, 60); // short, sparser, same step range
  const svc = new CompareSeriesService({ store });
  const r = svc.series({ runIds: ['a', 'b', 'c'], x: 'step', maxPoints: 400 });
  assert.deepEqual(r.gridKeys, ['loss']);
  const byRun = new Map(r.runs.map((x) => [x.runId, x.series[0]!]));
  const xs = new Set<number>();
  for (const [id, s] of byRun) {
    assert.ok(s.value.length <= 400, `${id}: ${s.value.length} points`);
    assert.equal(s.step.length, s.value.length);
    for (const x of s.step) xs.add(x);
  }
  assert.ok(xs.size <= 400, `shared x values: ${xs.size}`);
  assert.ok(byRun.get('a')!.value.includes(50), 'the spike of a');
  assert.ok(byRun.get('b')!.value.includes(-60), 'the dip of b');
  const a = byRun.get('a')!;
  const spikeAt = a.step[a.value.indexOf(50)]!;
  assert.ok(Math.abs(spikeAt - 12_345) <= 19_999 / 200, `the spike stays in its pixel bucket (x ${spikeAt})`);
  assert.equal(a.epoch[a.value.indexOf(50)], 123.45, 'the other coordinates are the point\'s own');
  assert.ok(Math.min(...byRun.get('c')!.value) === 0 && Math.max(...byRun.get('c')!.value) > 0.99);
  store.close();
});

test('short series come whole with wall time in seconds since the run started', () => {
  const store = openStore(':memory:');
  seed(store, 'a', 20, (i) => i * 2);
  seed(store, 'b', 10, (i) => -i);
  const r = new CompareSeriesService({ store }).series({ runIds: ['a', 'b'], x: 'wall', maxPoints: 100 });
  assert.deepEqual(r.gridKeys, []);
  const a = r.runs.find((x) => x.runId === 'a')!;
  assert.equal(a.wallStart, T0);
  assert.deepEqual(a.series[0]!.value, Array.from({ length: 20 }, (_, i) => i * 2));
  assert.deepEqual(a.series[0]!.wall, Array.from({ length: 20 }, (_, i) => i * 0.5));
  assert.deepEqual(a.series[0]!.step, Array.from({ length: 20 }, (_, i) => i));
  assert.throws(() => new CompareSeriesService({ store }).series({ runIds: ['a', 'nope'], x: 'step', maxPoints: 100 }), /nope/);
  store.close();
});

test('the grid on the wall axis and on epochs keeps the extremes too', () => {
  const store = openStore(':memory:');
  seed(store, 'a', 10_000, (i) => (i === 4321 ? 9 : 0));
  for (const x of ['epoch', 'wall'] as const) {
    const s = new CompareSeriesService({ store }).series({ runIds: ['a'], x, maxPoints: 100 }).runs[0]!.series[0]!;
    assert.ok(s.value.length <= 100);
    const at = s.value.indexOf(9);
    assert.ok(at >= 0, `${x}: spike kept`);
    const want = x === 'epoch' ? 43.21 : 4321 * 0.5;
    const span = x === 'epoch' ? 99.99 : 9999 * 0.5;
    assert.ok(Math.abs(s[x]![at]! - want) <= span / 50, `${x}: ${s[x]![at]} near ${want}`);
  }
  store.close();
});

test('blocks kept while inserting in batches equal the roll-up rebuilt from the rows', () => {
  const store = openStore(':memory:');
  seed(store, 'a', 9_000, (i) => Math.sin(i * 1.7) * (i % 97), 333);
  const live = METRIC_BLOCK_SIZES.map((size) => store.metrics.blocks('a', 'loss', size));
  assert.equal(live[0]!.length, Math.ceil(9000 / 64));
  assert.equal(live[1]!.length, Math.ceil(9000 / 4096));
  assert.deepEqual(live[0]!.map((b) => b.points).reduce((x, y) => x + y), 9000);
  // deleteAfterStep rebuilds the roll-up from the rows (as migration 0007 does).
  store.metrics.deleteAfterStep('a', 1e9);
  const rebuilt = METRIC_BLOCK_SIZES.map((size) => store.metrics.blocks('a', 'loss', size));
  assert.deepEqual(rebuilt, live);
  store.metrics.deleteAfterStep('a', 99);
  assert.deepEqual(store.metrics.blocks('a', 'loss', 64).map((b) => b.points), [64, 36]);
  store.close();
});
