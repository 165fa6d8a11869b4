import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { createPinia, setActivePinia } from 'pinia';
import type { MethodInput, MethodOutput } from '../../../shared/api.ts';
import { packFloat32 } from '../../../shared/packed-float32.ts';
import type { RunDetail } from '../../../shared/domain.ts';
import { setApiClient } from '../../../src-renderer/api/client-holder.ts';
import { idsQuery, useCompareRunsStore } from '../../../src-renderer/stores/compare-runs.ts';
import { demoConfig } from '../../fixtures/run-records.ts';
import { deferred, FakeClient } from './fake-client.ts';

let client: FakeClient;
const detail = (id: string, lr: number, seed: number): RunDetail => ({
  id, name: id, preset: 'mnist-demo', arch: 'small-convnet', datasetKind: 'mnist', status: 'running', createdAt: '2026-01-01T00:00:00.000Z',
  startedAt: null, endedAt: null, error: null, backend: 'cpu', device: 'cpu', epochs: 2, epochsDone: 0, metrics: {}, version: 1,
  config: demoConfig({ name: id, lr, seed }),
});

function seriesAnswer({ runIds, x }: MethodInput<'compare.series'>): MethodOutput<'compare.series'> {
  return {
    x: x ?? 'step',
    // lr: 4 buckets of 10 steps from 0; run a has values in the first two, b in the first only.
    grids: [{ key: 'lr', lo: 0, width: 10, buckets: 4 }],
    runs: runIds.map((id) => ({
      runId: id,
      name: `run ${id}`,
      wallStart: 1000,
      series: [{ key: 'loss', step: [1, 2], epoch: [0.5, 1], wall: [0, 1], value: id === 'a' ? [3, 2] : [4, 3] }],
      gridValues: [{ key: 'lr', values: packFloat32(id === 'a' ? [0.1, 0.2, 0.3, 0.3, NaN, NaN, NaN, NaN] : [1, 1, NaN, NaN, NaN, NaN, NaN, NaN]) }],
    })),
  };
}

beforeEach(() => {
  client = new FakeClient();
  setApiClient(client);
  setActivePinia(createPinia());
  const runs = { a: detail('a', 0.1, 0), b: detail('b', 0.05, 0), c: detail('c', 0.1, 1) };
  client.respond('runs.get', ({ id }) => runs[id as keyof typeof runs]);
  client.respond('compare.series', seriesAnswer);
  client.respond('runs.query', (input: MethodInput<'runs.query'>) => ({
    total: 3,
    columns: input.columns ?? [],
    rows: Object.values(runs).map((r) => ({ run: r, values: (input.columns ?? []).map((c) => (c === 'best.loss' ? (r.id === 'a' ? 2 : 3) : null)) })),
  }));
});

test('loads configs, downsampled series (maxPoints = chart width) and the metrics table; diff lists lr and seed', async () => {
  const s = useCompareRunsStore();
  await s.load(['a', 'b', 'c'], 800);
  assert.equal(s.error, null);
  assert.deepEqual(s.diff.map((d) => d.field), ['lr', 'seed']);
  assert.deepEqual(s.metricKeys, ['loss', 'lr']);
  assert.equal(new Set(Object.values(s.colours)).size, 3);
  assert.deepEqual(s.table.map((r) => [r.id, r.values['best.loss']]), [['a', 2], ['b', 3], ['c', 3]]);
  const m = client.calls.filter((c) => c.method === 'compare.series').map((c) => c.input);
  assert.deepEqual(m, [{ runIds: ['a', 'b', 'c'], x: 'step', maxPoints: 800 }], 'one call for every run, maxPoints = chart width');
  const q = client.calls.find((c) => c.method === 'runs.query')!.input as { where: string };
  assert.equal(q.where, idsQuery(['a', 'b', 'c']));
  assert.equal(q.where, 'id = "a" or id = "b" or id = "c"');
});

test('the charts get one shared x and a column per run; grid slots that are empty are gaps', async () => {
  const s = useCompareRunsStore();
  await s.load(['a', 'b']);
  assert.deepEqual(s.names, { a: 'run a', b: 'run b' });
  assert.deepEqual(s.metricKeys, ['loss', 'lr']);
  assert.deepEqual(s.columns.loss!.x, [1, 2]);
  assert.deepEqual(s.columns.loss!.ys, { a: [3, 2], b: [4, 3] });
  assert.deepEqual(s.columns.lr!.x, [2.5, 7.5, 12.5, 17.5, 22.5, 27.5, 32.5, 37.5]);
  assert.deepEqual(s.columns.lr!.ys.b, [1, 1, null, null, null, null, null, null]);
  assert.ok(Math.abs(s.columns.lr!.ys.a![1]! - 0.2) < 1e-7, 'float32 values');
});

test('live points of a compared run extend its curves without fetching again; other runs are ignored', async () => {
  const s = useCompareRunsStore();
  await s.load(['a', 'b']);
  const lrB = s.columns.lr!.ys.b;
  client.emit('run.metrics', { runId: 'a', points: [
    { key: 'loss', step: 3, epoch: 1.5, value: 1.5, wallTime: 3500 },
    { key: 'lr', step: 21, epoch: 1.5, value: 0.05, wallTime: 3500 }, // the third bucket: both its slots
    { key: 'lr', step: 45, epoch: 1.5, value: 0.01, wallTime: 3600 }, // past the grid: it grows by one bucket
  ] });
  client.emit('run.metrics', { runId: 'z', points: [{ key: 'loss', step: 3, epoch: 1.5, value: 9, wallTime: 3 }] });
  assert.deepEqual(s.columns.loss!.x, [1, 2, 3]);
  assert.deepEqual(s.columns.loss!.ys.a, [3, 2, 1.5]);
  assert.deepEqual(s.columns.loss!.ys.b, [4, 3, null]);
  assert.equal(s.columns.lr!.x.length, 10);
  assert.equal(s.columns.lr!.x[9], 47.5);
  assert.deepEqual(s.columns.lr!.ys.a!.slice(4).map((v) => v && Number(v.toPrecision(6))), [0.05, 0.05, null, null, 0.01, 0.01]);
  assert.deepEqual(s.columns.lr!.ys.b, [...lrB!, null, null], 'the other run only gains empty slots');
  assert.equal(s.columns.z, undefined);
  // A bucket keeps its extremes: a later, lower point replaces the low one after the high one.
  client.emit('run.metrics', { runId: 'a', points: [{ key: 'lr', step: 46, epoch: 1.5, value: 0.5, wallTime: 3700 }, { key: 'lr', step: 47, epoch: 1.5, value: 0.001, wallTime: 3800 }] });
  assert.deepEqual(s.columns.lr!.ys.a!.slice(8), [0.5, 0.001]);
  assert.equal(client.calls.filter((c) => c.method === 'compare.series').length, 1, 'no second fetch');
});

test('live points that arrive while the series are fetched are applied to the answer', async () => {
  const s = useCompareRunsStore();
  const answer = deferred<void>();
  client.respond('compare.series', async (input) => {
    await answer.promise;
    return seriesAnswer(input);
  });
  const loading = s.load(['a', 'b']);
  await new Promise((r) => setTimeout(r, 0));
  client.emit('run.metrics', { runId: 'b', points: [{ key: 'loss', step: 2, epoch: 1, value: 3, wallTime: 2000 }, { key: 'loss', step: 3, epoch: 1.5, value: 2.5, wallTime: 3000 }] });
  answer.resolve();
  await loading;
  assert.deepEqual(s.columns.loss!.ys.b, [4, 3, 2.5], 'the point the answer had is not doubled; the new one is added');
});

test('a whole series that outgrows maxPoints is fetched again (the main side then reduces it)', async () => {
  const s = useCompareRunsStore();
  await s.load(['a', 'b'], 100);
  client.emit('run.metrics', { runId: 'a', points: Array.from({ length: 120 }, (_, i) => ({ key: 'loss' as const, step: 3 + i, epoch: 2, value: 1, wallTime: 4000 + i })) });
  assert.equal(s.columns.loss!.x.length, 122);
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal(client.calls.filter((c) => c.method === 'compare.series').length, 2);
});

test('another x axis fetches the series again for that axis', async () => {
  const s = useCompareRunsStore();
  await s.load(['a', 'b']);
  await s.setXAxis('wall');
  assert.equal(s.xAxis, 'wall');
  const xs = client.calls.filter((c) => c.method === 'compare.series').map((c) => (c.input as { x: string }).x);
  assert.deepEqual(xs, ['step', 'wall']);
});
