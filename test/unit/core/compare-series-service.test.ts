import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetricPoint } from '../../../shared/domain.ts';
import { bucketOf } from '../../../shared/compare-grid.ts';
import { CompareSeriesResultSchema, type CompareSeriesResult } from '../../../shared/compare-series.ts';
import { unpackFloat32 } from '../../../shared/packed-float32.ts';
import { CompareSeriesService } from '../../../src-main/core/compare-series-service.ts';
import { METRIC_BLOCK_SIZES } from '../../../src-main/store/metrics-repository.ts';
import { openStore, type Store } from '../../../src-main/store/store.ts';
import { newRun } from '../../fixtures/run-records.ts';

const T0 = Date.UTC(2026, 0, 1);

function seed(store: Store, id: string, n: number, value: (i: number) => number, batch = 997, stepEvery = 1): void {
  store.runs.insert(newRun(id, { name: `run ${id}` }));
  const pts: MetricPoint[] = [];
  for (let i = 0; i < n; i++) {
    pts.push({ key: 'loss', step: i * stepEvery, epoch: i / 100, value: value(i), wallTime: T0 + i * 500 });
    if (pts.length === batch) store.metrics.insert(id, pts.splice(0));
  }
  if (pts.length) store.metrics.insert(id, pts);
}

/** Every run's slot values of the key on a grid, and the grid. */
function gridOf(r: CompareSeriesResult, key: string) {
  const grid = r.grids.find((g) => g.key === key)!;
  const values = new Map(r.runs.flatMap((run) => run.gridValues.filter((v) => v.key === key).map((v) => [run.runId, unpackFloat32(v.values)] as const)));
  return { grid, values };
}

test('long series share one grid of buckets: bounded output, every spike and dip kept in its bucket', () => {
  const store = openStore(':memory:');
  seed(store, 'a', 20_000, (i) => (i === 12_345 ? 50 : Math.sin(i / 30)));
  seed(store, 'b', 20_000, (i) => (i === 777 ? -60 : Math.cos(i / 40)), 64);
  seed(store, 'c', 300, (i) => i / 300, 997, 60); // short, sparser, same step range
  const svc = new CompareSeriesService({ store });
  const r = CompareSeriesResultSchema.parse(svc.series({ runIds: ['a', 'b', 'c'], x: 'step', maxPoints: 400 }));
  assert.deepEqual(r.grids.map((g) => [g.key, g.lo, g.buckets]), [['loss', 0, 200]]);
  assert.deepEqual(r.runs.map((x) => [x.runId, x.name, x.series.length]), [['a', 'run a', 0], ['b', 'run b', 0], ['c', 'run c', 0]]);
  const { grid, values } = gridOf(r, 'loss');
  for (const [id, v] of values) assert.equal(v.length, 400, `${id}: two slots per bucket`);
  const a = values.get('a')!;
  assert.equal(Math.floor(a.indexOf(50) / 2), bucketOf(grid, 12_345), 'the spike of a, in its pixel bucket');
  assert.equal(Math.floor(values.get('b')!.indexOf(-60) / 2), bucketOf(grid, 777), 'the dip of b');
  const c = [...values.get('c')!].filter((v) => !Number.isNaN(v));
  assert.ok(Math.min(...c) === 0 && Math.max(...c) > 0.99);
  assert.ok(c.length < 400, 'a sparse run leaves buckets empty');
  store.close();
});

test('short series come whole with wall time in seconds since the run started', () => {
  const store = openStore(':memory:');
  seed(store, 'a', 20, (i) => i * 2);
  seed(store, 'b', 10, (i) => -i);
  const r = new CompareSeriesService({ store }).series({ runIds: ['a', 'b'], x: 'wall', maxPoints: 100 });
  assert.deepEqual(r.grids, []);
  const a = r.runs.find((x) => x.runId === 'a')!;
  assert.equal(a.wallStart, T0);
  assert.deepEqual(a.series[0]!.value, Array.from({ length: 20 }, (_, i) => i * 2));
  assert.deepEqual(a.series[0]!.wall, Array.from({ length: 20 }, (_, i) => i * 0.5));
  assert.deepEqual(a.series[0]!.step, Array.from({ length: 20 }, (_, i) => i));
  assert.throws(() => new CompareSeriesService({ store }).series({ runIds: ['a', 'nope'], x: 'step', maxPoints: 100 }), /nope/);
  store.close();
});

test('the grid on the wall axis and on epochs keeps the extremes too, read from any roll-up level', () => {
  const store = openStore(':memory:');
  seed(store, 'a', 100_000, (i) => (i === 43_210 ? 9 : 0), 4999);
  for (const x of ['epoch', 'wall'] as const) {
    for (const maxPoints of [100, 1000, 6000]) {
      const { grid, values } = gridOf(new CompareSeriesService({ store }).series({ runIds: ['a'], x, maxPoints }), 'loss');
      const v = values.get('a')!;
      assert.equal(v.length, 2 * Math.floor(maxPoints / 2));
      assert.equal(Math.floor(v.indexOf(9) / 2), bucketOf(grid, x === 'epoch' ? 432.1 : 43_210 * 0.5), `${x}, ${maxPoints} points: the spike in its bucket`);
    }
  }
  store.close();
});

test('blocks kept while inserting in batches equal the roll-up rebuilt from the rows', () => {
  const store = openStore(':memory:');
  seed(store, 'a', 9_000, (i) => Math.sin(i * 1.7) * (i % 97), 333);
  const live = METRIC_BLOCK_SIZES.map((size) => store.metrics.blocks('a', 'loss', size));
  assert.equal(live[0]!.length, Math.ceil(9000 / 64));
  assert.deepEqual(live.map((l) => l.length), METRIC_BLOCK_SIZES.map((size) => Math.ceil(9000 / size)));
  assert.deepEqual(live[0]!.map((b) => b.points).reduce((x, y) => x + y), 9000);
  // deleteAfterStep rebuilds the roll-up from the rows (as migration 0007 does).
  store.metrics.deleteAfterStep('a', 1e9);
  const rebuilt = METRIC_BLOCK_SIZES.map((size) => store.metrics.blocks('a', 'loss', size));
  assert.deepEqual(rebuilt, live);
  store.metrics.deleteAfterStep('a', 99);
  assert.deepEqual(store.metrics.blocks('a', 'loss', 64).map((b) => b.points), [64, 36]);
  store.close();
});
