import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LogEntry, MetricKey, MetricPoint, RunSummary } from '../../../shared/domain.ts';
import {
  appendLogs,
  emptySeries,
  laterSnapshot,
  mergeIntoSeries,
  mergeMetricPoints,
  mergeRunList,
  thinSeries,
  upsertRun,
} from '../../../src-renderer/stores/run-merge.ts';

const pt = (key: MetricKey, step: number, value: number): MetricPoint => ({ key, step, epoch: step / 10, value, wallTime: step });

function run(id: string, createdAt: string, patch: Partial<RunSummary> = {}): RunSummary {
  return {
    id,
    name: id,
    preset: 'mnist-demo',
    arch: 'small-convnet',
    datasetKind: 'mnist',
    status: 'running',
    createdAt,
    startedAt: null,
    endedAt: null,
    error: null,
    backend: null,
    device: null,
    epochs: 5,
    epochsDone: 0,
    metrics: {},
    version: 1,
    ...patch,
  };
}

test('live points past the end are appended', () => {
  const s = mergeIntoSeries({ key: 'loss', step: [1, 2], epoch: [0.1, 0.2], value: [5, 4] }, [pt('loss', 3, 3), pt('loss', 4, 2)]);
  assert.deepEqual(s.step, [1, 2, 3, 4]);
  assert.deepEqual(s.value, [5, 4, 3, 2]);
  assert.deepEqual(s.epoch, [0.1, 0.2, 0.3, 0.4]);
});

test('a point already loaded is not doubled: same step replaces the value', () => {
  const loaded = { key: 'loss', step: [1, 2, 3], epoch: [0.1, 0.2, 0.3], value: [5, 4, 3] };
  const s = mergeIntoSeries(loaded, [pt('loss', 3, 3), pt('loss', 2, 4.5), pt('loss', 4, 2)]);
  assert.deepEqual(s.step, [1, 2, 3, 4]);
  assert.deepEqual(s.value, [5, 4.5, 3, 2]);
  // the input series is not mutated (copy on write for shallow refs)
  assert.deepEqual(loaded.step, [1, 2, 3]);
});

test('a point inside a downsampled gap is inserted in step order', () => {
  const s = mergeIntoSeries({ key: 'loss', step: [1, 10, 20], epoch: [0, 1, 2], value: [5, 4, 3] }, [pt('loss', 15, 3.5), pt('loss', 5, 4.5)]);
  assert.deepEqual(s.step, [1, 5, 10, 15, 20]);
  assert.deepEqual(s.value, [5, 4.5, 4, 3.5, 3]);
});

test('mergeMetricPoints groups by key, creates new series and keeps untouched ones identical', () => {
  const acc = { key: 'knn_top1', step: [10], epoch: [1], value: [0.9] };
  const byKey = { loss: emptySeries('loss'), knn_top1: acc };
  const next = mergeMetricPoints(byKey, [pt('loss', 1, 5), pt('nn_top1', 10, 0.8), pt('loss', 2, 4)]);
  assert.deepEqual(next.loss.step, [1, 2]);
  assert.deepEqual(next.nn_top1.value, [0.8]);
  assert.equal(next.knn_top1, acc);
});

test('merging the same batch twice changes nothing', () => {
  const points = [pt('loss', 1, 5), pt('loss', 2, 4), pt('knn_top1', 2, 0.9)];
  const once = mergeMetricPoints({}, points);
  const twice = mergeMetricPoints(once, points);
  assert.deepEqual(twice, once);
});

test('thinSeries halves density until the bound, keeping first and last', () => {
  const n = 101;
  const s = { key: 'loss', step: [...Array(n).keys()], epoch: [...Array(n).keys()], value: [...Array(n).keys()] };
  const t = thinSeries(s, 30);
  assert.ok(t.step.length <= 30, `got ${t.step.length}`);
  assert.equal(t.step[0], 0);
  assert.equal(t.step.at(-1), 100);
  assert.deepEqual(t.step, [...t.step].sort((a, b) => a - b));
  assert.equal(thinSeries(s, 1000), s);
});

test('upsertRun replaces by id and keeps newest first', () => {
  const a = run('a', '2025-01-01T00:00:00Z');
  const b = run('b', '2025-01-02T00:00:00Z');
  let list = upsertRun([], a);
  list = upsertRun(list, b);
  assert.deepEqual(list.map((r) => r.id), ['b', 'a']);
  list = upsertRun(list, { ...a, status: 'completed' });
  assert.deepEqual(list.map((r) => [r.id, r.status]), [['b', 'running'], ['a', 'completed']]);
});

test('a list answer does not roll back a run an event already moved forward', () => {
  const fresh = run('a', '2025-01-01T00:00:00Z', { status: 'running', epochsDone: 1, version: 7 });
  const seenDone = { ...fresh, status: 'completed' as const, epochsDone: 5, version: 9 };
  assert.equal(laterSnapshot(fresh, seenDone), seenDone);
  const seenOlder = { ...fresh, status: 'queued' as const, epochsDone: 0, version: 3 };
  assert.equal(laterSnapshot(fresh, seenOlder), fresh);
  const seenSame = { ...fresh, metrics: { loss: 2 } };
  assert.equal(laterSnapshot(fresh, seenSame), fresh, 'on equal versions the fetched snapshot wins');
  const merged = mergeRunList([fresh], [seenDone, run('new', '2025-02-01T00:00:00Z')]);
  assert.deepEqual(merged.map((r) => [r.id, r.status]), [['new', 'running'], ['a', 'completed']]);
});

test('a resumed or reclaimed run moves back in status order and the newer version still wins', () => {
  const failed = run('a', '2025-01-01T00:00:00Z', { status: 'failed', epochsDone: 3, endedAt: '2025-01-01T01:00:00Z', error: 'boom', version: 10 });
  const requeued = { ...failed, status: 'queued' as const, endedAt: null, error: null, version: 11 };
  assert.equal(laterSnapshot(requeued, failed), requeued, 'a list answer after a resume');
  assert.equal(laterSnapshot(failed, requeued), requeued, 'a stale answer that raced the resume event');
  const interrupted = run('b', '2025-01-01T00:00:00Z', { status: 'interrupted', epochsDone: 2, version: 20 });
  const reclaimed = { ...interrupted, status: 'running' as const, version: 21 };
  const merged = mergeRunList([requeued, reclaimed], [failed, interrupted]);
  assert.deepEqual(merged.map((r) => [r.id, r.status]), [['b', 'running'], ['a', 'queued']]);
});

test('appendLogs drops duplicates, keeps id order and the newest `cap` lines', () => {
  const l = (id: number): LogEntry => ({ id, runId: 'r', level: 'info', message: `m${id}`, wallTime: id });
  assert.deepEqual(appendLogs([l(1), l(2)], [l(2), l(3)], 10).map((e) => e.id), [1, 2, 3]);
  assert.deepEqual(appendLogs([l(1), l(3)], [l(2)], 10).map((e) => e.id), [1, 2, 3]);
  assert.deepEqual(appendLogs([l(1), l(2), l(3)], [l(4)], 2).map((e) => e.id), [3, 4]);
});
