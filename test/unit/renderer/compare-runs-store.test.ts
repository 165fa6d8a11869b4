import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { createPinia, setActivePinia } from 'pinia';
import type { MethodInput } from '../../../shared/api.ts';
import type { RunDetail } from '../../../shared/domain.ts';
import { setApiClient } from '../../../src-renderer/api/client-holder.ts';
import { idsQuery, useCompareRunsStore } from '../../../src-renderer/stores/compare-runs.ts';
import { demoConfig } from '../../fixtures/run-records.ts';
import { FakeClient } from './fake-client.ts';

let client: FakeClient;
const detail = (id: string, lr: number, seed: number): RunDetail => ({
  id, name: id, preset: 'mnist-demo', arch: 'small-convnet', datasetKind: 'mnist', status: 'running', createdAt: '2026-01-01T00:00:00.000Z',
  startedAt: null, endedAt: null, error: null, backend: 'cpu', device: 'cpu', epochs: 2, epochsDone: 0, metrics: {}, version: 1,
  config: demoConfig({ name: id, lr, seed }),
});

beforeEach(() => {
  client = new FakeClient();
  setApiClient(client);
  setActivePinia(createPinia());
  const runs = { a: detail('a', 0.1, 0), b: detail('b', 0.05, 0), c: detail('c', 0.1, 1) };
  client.respond('runs.get', ({ id }) => runs[id as keyof typeof runs]);
  client.respond('compare.series', ({ runIds, x }) => ({
    x: x ?? 'step',
    gridKeys: [],
    runs: runIds.map((id) => ({ runId: id, wallStart: 1000, series: [{ key: 'loss', step: [1, 2], epoch: [0.5, 1], wall: [0, 1], value: id === 'a' ? [3, 2] : [4, 3] }] })),
  }));
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
  assert.deepEqual(s.metricKeys, ['loss']);
  assert.equal(new Set(Object.values(s.colours)).size, 3);
  assert.deepEqual(s.table.map((r) => [r.id, r.values['best.loss']]), [['a', 2], ['b', 3], ['c', 3]]);
  const m = client.calls.filter((c) => c.method === 'compare.series').map((c) => c.input);
  assert.deepEqual(m, [{ runIds: ['a', 'b', 'c'], x: 'step', maxPoints: 800 }], 'one call for every run, maxPoints = chart width');
  const q = client.calls.find((c) => c.method === 'runs.query')!.input as { where: string };
  assert.equal(q.where, idsQuery(['a', 'b', 'c']));
  assert.equal(q.where, 'id = "a" or id = "b" or id = "c"');
});

test('live points of a compared run extend its curve; other runs are ignored', async () => {
  const s = useCompareRunsStore();
  await s.load(['a', 'b']);
  client.emit('run.metrics', { runId: 'a', points: [{ key: 'loss', step: 3, epoch: 1.5, value: 1.5, wallTime: 3500 }] });
  client.emit('run.metrics', { runId: 'z', points: [{ key: 'loss', step: 3, epoch: 1.5, value: 9, wallTime: 3 }] });
  assert.deepEqual(s.series.a!.loss!.value, [3, 2, 1.5]);
  assert.deepEqual(s.series.a!.loss!.wall, [0, 1, 2.5], 'seconds since the run\'s first metric');
  assert.equal(s.series.z, undefined);
});

test('another x axis fetches the series again for that axis', async () => {
  const s = useCompareRunsStore();
  await s.load(['a', 'b']);
  await s.setXAxis('wall');
  assert.equal(s.xAxis, 'wall');
  const xs = client.calls.filter((c) => c.method === 'compare.series').map((c) => (c.input as { x: string }).x);
  assert.deepEqual(xs, ['step', 'wall']);
});
