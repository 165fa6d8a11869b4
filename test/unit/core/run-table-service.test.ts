import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../../shared/api-error.ts';
import { RunTableService } from '../../../src-main/core/run-table-service.ts';
import { openStore } from '../../../src-main/store/store.ts';
import { newRun } from '../../fixtures/run-records.ts';

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
