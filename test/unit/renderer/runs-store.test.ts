import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { createPinia, setActivePinia } from 'pinia';
import type { LogEntry, MetricPoint, MetricSeries, RunDetail, RunSummary } from '../../../shared/domain.ts';
import { PRESETS, RunConfigSchema } from '../../../shared/run-config.ts';
import { setApiClient } from '../../../src-renderer/api/client-holder.ts';
import { useRunsStore } from '../../../src-renderer/stores/runs.ts';
import type { RunsListResult } from '../../../shared/runs-list.ts';
import { deferred, FakeClient, listPage } from './fake-client.ts';

const config = RunConfigSchema.parse(PRESETS[0].config);

function summary(patch: Partial<RunSummary> = {}): RunSummary {
  return {
    id: 'r1',
    name: 'demo',
    preset: 'mnist-demo',
    arch: 'small-convnet',
    datasetKind: 'mnist',
    status: 'running',
    createdAt: '2025-01-01T00:00:00.000Z',
    startedAt: '2025-01-01T00:00:01.000Z',
    endedAt: null,
    error: null,
    backend: 'cpu',
    device: 'cpu',
    epochs: 5,
    epochsDone: 0,
    metrics: {},
    version: 1,
    ...patch,
  };
}
const detail = (patch: Partial<RunSummary> = {}): RunDetail => ({ ...summary(patch), config });
const loss = (step: number, value: number): MetricPoint => ({ key: 'loss', step, epoch: step / 100, value, wallTime: step });

let client: FakeClient;

beforeEach(() => {
  client = new FakeClient();
  setApiClient(client);
  setActivePinia(createPinia());
});

test('points arriving while runs.metrics is in flight are merged after it, without duplicates', async () => {
  const store = useRunsStore();
  store.attach();
  const answer = deferred<MetricSeries[]>();
  client.respond('runs.metrics', () => answer.promise);
  const loading = store.loadMetrics('r1');
  // the server's answer will contain steps 1..3; events for 3 and 4 race it
  client.emit('run.metrics', { runId: 'r1', points: [loss(3, 2.5), loss(4, 2.0)] });
  answer.resolve([{ key: 'loss', step: [1, 2, 3], epoch: [0.01, 0.02, 0.03], value: [4, 3, 2.5] }]);
  await loading;
  assert.deepEqual(store.series.r1.loss.step, [1, 2, 3, 4]);
  assert.deepEqual(store.series.r1.loss.value, [4, 3, 2.5, 2.0]);
  // later live points append; a repeated one is not doubled
  client.emit('run.metrics', { runId: 'r1', points: [loss(4, 2.0), loss(5, 1.5), { key: 'knn_top1', step: 5, epoch: 1, value: 0.9, wallTime: 5 }] });
  assert.deepEqual(store.series.r1.loss.step, [1, 2, 3, 4, 5]);
  assert.deepEqual(store.series.r1.knn_top1.value, [0.9]);
});

test('points of runs whose series are not loaded are ignored (fetched whole when opened)', () => {
  const store = useRunsStore();
  store.attach();
  client.emit('run.metrics', { runId: 'other', points: [loss(1, 1)] });
  assert.equal(store.series.other, undefined);
});

test('run.changed inserts and updates rows and the loaded detail, keeping its config', async () => {
  const store = useRunsStore();
  store.attach();
  client.respond('runs.list', () => listPage([summary()]));
  await store.loadList();
  client.emit('run.changed', summary({ id: 'r2', createdAt: '2025-02-01T00:00:00.000Z', status: 'queued' }));
  assert.deepEqual(store.runs.map((r) => r.id), ['r2', 'r1']);
  client.respond('runs.get', () => detail());
  await store.loadDetail('r1');
  client.emit('run.changed', summary({ status: 'completed', epochsDone: 5, metrics: { knn_top1: 0.97 }, version: 4 }));
  assert.equal(store.runs.find((r) => r.id === 'r1')?.status, 'completed');
  assert.equal(store.details.r1.status, 'completed');
  assert.equal(store.details.r1.metrics.knn_top1, 0.97);
  assert.equal(store.details.r1.config.batchSize, config.batchSize);
});

test('a list answer that raced a completion event does not roll the run back', async () => {
  const store = useRunsStore();
  store.attach();
  const answer = deferred<RunsListResult>();
  client.respond('runs.list', () => answer.promise);
  const loading = store.loadList();
  client.emit('run.changed', summary({ status: 'completed', epochsDone: 5, version: 6 }));
  answer.resolve(listPage([summary({ status: 'running', epochsDone: 4, version: 5 })]));
  await loading;
  assert.equal(store.runs[0].status, 'completed');
});

test('run.progress keeps the latest progress per run', () => {
  const store = useRunsStore();
  store.attach();
  const p = { runId: 'r1', phase: 'train' as const, epoch: 1, epochs: 5, iteration: 3, iterations: 10, imagesPerSec: 50, etaSeconds: 12 };
  client.emit('run.progress', p);
  client.emit('run.progress', { ...p, iteration: 4 });
  assert.equal(store.progress.r1.iteration, 4);
});

test('the log tail pages through runs.logs and merges lines that raced the fetch', async () => {
  const store = useRunsStore();
  store.attach();
  const line = (id: number): LogEntry => ({ id, runId: 'r1', level: 'info', message: `l${id}`, wallTime: id });
  const answer = deferred<LogEntry[]>();
  client.respond('runs.logs', () => answer.promise);
  const loading = store.loadLogs('r1');
  client.emit('run.log', line(3));
  answer.resolve([line(1), line(2), line(3)]);
  await loading;
  assert.deepEqual(store.logs.r1.map((l) => l.id), [1, 2, 3]);
  client.emit('run.log', line(4));
  assert.deepEqual(store.logs.r1.map((l) => l.id), [1, 2, 3, 4]);
  assert.deepEqual(client.calls.filter((c) => c.method === 'runs.logs').map((c) => c.input), [{ id: 'r1', afterId: 0, limit: 5000 }]);
});

test('create adds the run to the list right away', async () => {
  const store = useRunsStore();
  client.respond('runs.create', ({ config: c }) => summary({ id: 'new', name: c.name, status: 'queued' }));
  const r = await store.create({ ...config, name: 'fresh' });
  assert.equal(r.id, 'new');
  assert.equal(store.runs[0].name, 'fresh');
});

test('after the event link comes back the list and the open run are reloaded', async () => {
  const store = useRunsStore();
  store.attach();
  client.respond('runs.list', () => listPage([summary()]));
  client.respond('runs.get', () => detail());
  client.respond('runs.metrics', () => []);
  client.respond('runs.logs', () => []);
  store.select('r1');
  await new Promise((r) => setTimeout(r, 0));
  const before = client.calls.length;
  client.setConnection('reconnecting');
  client.setConnection('open');
  await new Promise((r) => setTimeout(r, 10));
  const methods = client.calls.slice(before).map((c) => c.method).sort();
  assert.deepEqual(methods, ['runs.get', 'runs.list', 'runs.logs', 'runs.metrics']);
});

test('a runs.get answer that raced a status event does not roll the run back', async () => {
  const store = useRunsStore();
  store.attach();
  const answer = deferred<RunDetail>();
  client.respond('runs.get', () => answer.promise);
  client.emit('run.changed', summary({ status: 'queued', version: 1 }));
  const loading = store.loadDetail('r1');
  client.emit('run.changed', summary({ status: 'running', version: 2 }));
  answer.resolve(detail({ status: 'queued', version: 1 }));
  await loading;
  assert.equal(store.runs[0].status, 'running');
  assert.equal(store.details.r1.status, 'running');
  assert.equal(store.details.r1.config.epochs, config.epochs);
});

test('a runs.create answer arriving after the run started keeps it running', async () => {
  const store = useRunsStore();
  store.attach();
  const answer = deferred<RunSummary>();
  client.respond('runs.create', () => answer.promise);
  const creating = store.create(config);
  client.emit('run.changed', summary({ status: 'queued', version: 1 }));
  client.emit('run.changed', summary({ status: 'running', version: 2 }));
  answer.resolve(summary({ status: 'queued', version: 1 }));
  await creating;
  assert.equal(store.runs[0].status, 'running');
});

test('resume shows the run queued again though it had failed, and reloads its series', async () => {
  const store = useRunsStore();
  store.attach();
  client.respond('runs.list', () => listPage([summary({ status: 'failed', epochsDone: 3, error: 'boom', version: 8 })]));
  await store.loadList();
  client.respond('runs.resume', () => summary({ status: 'queued', epochsDone: 3, version: 9 }));
  client.respond('runs.metrics', () => [{ key: 'loss', step: [1, 2, 3], epoch: [1, 2, 3], value: [3, 2, 1] }]);
  await store.resume('r1');
  assert.equal(store.runs[0].status, 'queued');
  assert.equal(store.runs[0].error, null);
  assert.deepEqual(store.series.r1.loss.step, [1, 2, 3]);
});

test('after a reconnect the list shows a run another window resumed, and an interrupted run reclaimed', async () => {
  const store = useRunsStore();
  store.attach();
  client.respond('runs.list', () => listPage([
    summary({ id: 'a', status: 'cancelled', version: 4 }),
    summary({ id: 'b', status: 'interrupted', createdAt: '2025-01-02T00:00:00.000Z', version: 5 }),
  ]));
  await store.loadList();
  client.setConnection('reconnecting');
  client.respond('runs.list', () => listPage([
    summary({ id: 'a', status: 'queued', version: 12 }),
    summary({ id: 'b', status: 'running', createdAt: '2025-01-02T00:00:00.000Z', version: 11 }),
  ]));
  client.setConnection('open');
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(store.runs.map((r) => [r.id, r.status]), [['b', 'running'], ['a', 'queued']]);
});

test('the list shows the loaded page and active runs; Show more loads the next page; events for runs outside the page', async () => {
  const store = useRunsStore();
  store.attach();
  const at = (day: number) => `2025-01-${String(day).padStart(2, '0')}T00:00:00.000Z`;
  const ended = (id: string, day: number) => summary({ id, createdAt: at(day), status: 'completed' });
  // First page: the two newest runs and an old queued run; 5 runs in all.
  client.respond('runs.list', () => listPage([ended('e', 5), ended('d', 4), summary({ id: 'q', createdAt: at(1), status: 'queued', queuePosition: 1 })], { createdAt: at(4), id: 'd' }, 5));
  await store.loadList();
  assert.deepEqual(store.listedRuns.map((r) => r.id), ['e', 'd', 'q']);
  assert.equal(store.listTotal, 5);
  // An old ended run outside the page changes (renamed in another window): known, not listed.
  client.emit('run.changed', { ...ended('b', 2), name: 'renamed', version: 3 });
  assert.equal(store.summaryOf('b')?.name, 'renamed');
  assert.deepEqual(store.listedRuns.map((r) => r.id), ['e', 'd', 'q']);
  assert.equal(store.listTotal, 5, 'an old run seen first through an event is not a new run');
  // An old run resumed elsewhere is queued: listed with the active runs.
  client.emit('run.changed', summary({ id: 'c', createdAt: at(3), status: 'queued', queuePosition: 2, version: 4 }));
  assert.deepEqual(store.listedRuns.map((r) => r.id), ['e', 'd', 'c', 'q']);
  // A new run is listed first and counted.
  client.emit('run.changed', summary({ id: 'f', createdAt: at(6), status: 'queued', queuePosition: 3 }));
  assert.deepEqual(store.listedRuns.map((r) => r.id), ['f', 'e', 'd', 'c', 'q']);
  assert.equal(store.listTotal, 6);
  // Show more: the page after the cursor; the list then reaches the oldest run.
  client.respond('runs.list', (input) => {
    assert.deepEqual(input, { before: { createdAt: at(4), id: 'd' } });
    return listPage([summary({ id: 'c', createdAt: at(3), status: 'queued', queuePosition: 2, version: 4 }), ended('b', 2), summary({ id: 'q', createdAt: at(1), status: 'queued', queuePosition: 1 }), ended('a', 1)], null, 6);
  });
  await store.loadMore();
  assert.deepEqual(store.listedRuns.map((r) => r.id), ['f', 'e', 'd', 'c', 'b', 'q', 'a']);
  assert.equal(store.listedRuns.find((r) => r.id === 'b')?.name, 'renamed', 'the later snapshot (the event) is kept');
  assert.equal(store.listNext, null);
  // Reopening the list loads the first page again and shows only it (and the active runs).
  client.respond('runs.list', () => listPage([summary({ id: 'f', createdAt: at(6), status: 'queued', queuePosition: 3 }), ended('e', 5)], { createdAt: at(5), id: 'e' }, 6));
  await store.loadList();
  assert.deepEqual(store.listedRuns.map((r) => r.id), ['f', 'e', 'c', 'q']);
  client.emit('run.removed', { id: 'e' });
  assert.equal(store.listTotal, 5);
});
