import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetricKey, MetricPoint } from '../../../shared/domain.ts';
import { openStore } from '../../../src-main/store/store.ts';
import { newRun } from '../../fixtures/run-records.ts';

const p = (key: MetricKey, step: number, value: number): MetricPoint => ({ key, step, epoch: step / 10, value, wallTime: 1000 + step });

test('metric batches round-trip ordered by step; last values follow the highest step', () => {
  const store = openStore(':memory:');
  store.runs.insert(newRun('r'));
  store.runs.insert(newRun('s'));
  store.metrics.insert('r', [p('loss', 2, 0.5), p('loss', 1, 0.9), p('lr', 0, 0.1)]);
  store.metrics.insert('r', [p('loss', 3, 0.4), p('knn_top1', 3, 0.75)]);
  // A late point for an older step must not replace the last value.
  store.metrics.insert('r', [p('loss', 0, 2.0)]);
  store.metrics.insert('s', [p('loss', 1, 7)]);
  const loss = store.metrics.series('r', 'loss');
  assert.deepEqual([...loss.step], [0, 1, 2, 3]);
  assert.deepEqual([...loss.value], [2.0, 0.9, 0.5, 0.4]);
  assert.deepEqual([...loss.epoch], [0, 0.1, 0.2, 0.3]);
  assert.deepEqual(store.metrics.lastValues('r'), { knn_top1: 0.75, loss: 0.4, lr: 0.1 });
  assert.deepEqual(store.metrics.keys('r'), ['knn_top1', 'loss', 'lr']);
  assert.equal(store.metrics.count('r'), 6);
  const all = store.metrics.lastValuesByRun();
  assert.deepEqual(all.get('s'), { loss: 7 });
  assert.equal(store.metrics.series('r', 'absent').value.length, 0);
  store.close();
});

test('a batch is atomic: a bad row rolls back the whole batch', () => {
  const store = openStore(':memory:');
  store.runs.insert(newRun('r'));
  // A point for a run that does not exist violates the foreign key.
  assert.throws(() => store.metrics.insert('missing', [p('loss', 1, 1)]), /FOREIGN KEY/);
  const bad = { key: 'loss', step: 2, epoch: 0, value: null, wallTime: 0 } as unknown as MetricPoint;
  assert.throws(() => store.metrics.insert('r', [p('loss', 1, 1), bad]), /NOT NULL/);
  assert.equal(store.metrics.count('r'), 0);
  assert.deepEqual(store.metrics.lastValues('r'), {});
  store.close();
});

test('large batches (multi-row inserts plus a remainder) keep every row, in order, and grow past the read buffer', () => {
  const store = openStore(':memory:');
  store.runs.insert(newRun('r'));
  const points = Array.from({ length: 5033 }, (_, i) => p(i % 2 ? 'loss' : 'lr', i, i * 0.5));
  store.metrics.insert('r', points);
  assert.equal(store.metrics.count('r'), 5033);
  const loss = store.metrics.series('r', 'loss');
  assert.deepEqual([...loss.value], points.filter((x) => x.key === 'loss').map((x) => x.value));
  assert.deepEqual([...loss.step], points.filter((x) => x.key === 'loss').map((x) => x.step));
  assert.deepEqual(store.metrics.lastValues('r'), { loss: 5031 * 0.5, lr: 5032 * 0.5 });
  // A bad row inside a multi-row group rolls the whole batch back.
  const bad = points.slice(0, 120).map((x, i) => (i === 77 ? ({ ...x, value: null } as unknown as typeof x) : { ...x, step: x.step + 10_000 }));
  assert.throws(() => store.metrics.insert('r', bad), /NOT NULL/);
  assert.equal(store.metrics.count('r'), 5033);
  store.close();
});

test('metric_summary follows inserts (best first reached, last by step) and is rebuilt when steps are deleted', () => {
  const store = openStore(':memory:');
  store.runs.insert(newRun('r'));
  store.metrics.insert('r', [p('knn_top1', 1, 0.5), p('knn_top1', 2, 0.8), p('loss', 1, 3)]);
  store.metrics.insert('r', [p('knn_top1', 3, 0.8), p('knn_top1', 4, 0.7), p('loss', 2, 1), p('loss', 3, 2)]);
  const [knn, loss] = store.metrics.summaries(['r']);
  assert.deepEqual(knn, {
    run: 'r', key: 'knn_top1', minValue: 0.5, minStep: 1, minEpoch: 0.1, maxValue: 0.8, maxStep: 2, maxEpoch: 0.2,
    lastValue: 0.7, lastStep: 4, lastEpoch: 0.4, points: 4,
  });
  assert.equal(loss!.minValue, 1);
  assert.equal(loss!.minStep, 2);
  assert.equal(loss!.lastValue, 2);
  store.metrics.deleteAfterStep('r', 1);
  assert.deepEqual(store.metrics.summaries(['r'], ['knn_top1']), [
    { run: 'r', key: 'knn_top1', minValue: 0.5, minStep: 1, minEpoch: 0.1, maxValue: 0.5, maxStep: 1, maxEpoch: 0.1, lastValue: 0.5, lastStep: 1, lastEpoch: 0.1, points: 1 },
  ]);
  assert.deepEqual(store.metrics.summaries([]), []);
  store.close();
});
