import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../../shared/api-error.ts';
import { RunTableService } from '../../../src-main/core/run-table-service.ts';
import { openStore } from '../../../src-main/store/store.ts';
import { demoConfig, newRun } from '../../fixtures/run-records.ts';

test('runs.query answers summaries with the chosen columns; bad fields and queries are invalid_input naming the input field', () => {
  const store = openStore(':memory:');
  try {
    store.runs.insert(newRun('a', { createdAt: '2026-11-01T00:00:00.000Z' }));
    store.runs.insert(newRun('b', { createdAt: '2026-11-02T00:00:00.000Z' }));
    store.metrics.insert('a', [{ key: 'knn_top1', step: 1, epoch: 1, value: 0.7, wallTime: 1 }]);
    const svc = new RunTableService({ store });
    const r = svc.query({ where: '', sort: [{ field: 'knn_top1', descending: true }], columns: ['knn_top1', 'last.knn_top1', 'seed'], offset: 0, limit: 10 });
    assert.equal(r.total, 2);
    assert.deepEqual(r.columns, ['best.knn_top1', 'last.knn_top1', 'seed']);
    assert.deepEqual(r.rows.map((x) => [x.run.id, x.run.metrics, x.values]), [
      ['a', { knn_top1: 0.7 }, [0.7, 0.7, 0]],
      ['b', {}, [null, null, 0]],
    ]);
    assert.throws(
      () => svc.query({ where: '', sort: [{ field: 'arhc', descending: false }], columns: ['lr', 'sed'], offset: 0, limit: 10 }),
      (err: unknown) => {
        assert.ok(err instanceof ApiError && err.code === 'invalid_input');
        assert.deepEqual(err.issues?.map((i) => i.path), ['sort[0].field', 'columns[1]']);
        assert.match(err.issues![1]!.message, /did you mean seed/);
        return true;
      },
    );
    assert.throws(() => svc.query({ where: 'lr >', sort: [], columns: [], offset: 0, limit: 10 }), (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.deepEqual(err.issues, [{ path: 'where', message: 'expected a value after > at column 5' }]);
      return true;
    });
  } finally {
    store.close();
  }
});

test('runs.values answers every matching run newest first with its columns, and the ifVarying columns only where they vary', () => {
  const store = openStore(':memory:');
  try {
    const add = (id: string, day: number, lr: number, seed: number | null) => {
      const config = demoConfig({ name: `run ${id}`, lr, ...(seed === null ? {} : { seed }) });
      const json = seed === null ? JSON.stringify({ ...config, seed: undefined }) : JSON.stringify(config);
      store.runs.insert(newRun(id, { name: `run ${id}`, configJson: json, createdAt: `2026-11-0${day}T00:00:00.000Z` }));
    };
    add('a', 1, 0.1, 1);
    add('b', 2, 0.05, 1);
    add('c', 3, 0.1, null);
    store.metrics.insert('b', [{ key: 'knn_top1', step: 1, epoch: 1, value: 0.8, wallTime: 1 }]);
    const svc = new RunTableService({ store });
    const all = svc.values({ where: '', columns: ['knn_top1'], ifVarying: ['momentum', 'lr', 'seed'], limit: 5000 });
    // momentum is the same everywhere; seed varies because one run has none.
    assert.deepEqual(all, {
      total: 3,
      columns: ['best.knn_top1', 'lr', 'seed'],
      runs: [
        { id: 'c', name: 'run c', values: [null, 0.1, null] },
        { id: 'b', name: 'run b', values: [0.8, 0.05, 1] },
        { id: 'a', name: 'run a', values: [null, 0.1, 1] },
      ],
    });
    const some = svc.values({ where: 'lr = 0.1 and seed = 1', columns: [], ifVarying: ['lr', 'seed'], limit: 5000 });
    assert.deepEqual([some.total, some.columns, some.runs.map((r) => r.id)], [1, [], ['a']]);
    assert.deepEqual(svc.values({ where: '', columns: [], ifVarying: ['lr'], limit: 2 }).total, 3, 'the total counts past the limit');
    assert.throws(() => svc.values({ where: '', columns: [], ifVarying: ['lrr'], limit: 5 }), (err: unknown) => err instanceof ApiError && err.issues?.[0]?.path === 'ifVarying[0]');
  } finally {
    store.close();
  }
});
