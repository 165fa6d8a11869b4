import assert from 'node:assert/strict';
import { test } from 'node:test';
import { methods } from '../../../shared/api.ts';
import { RUNS_LIST_MAX } from '../../../shared/runs-list.ts';
import { summarizeRunsPage } from '../../../src-main/core/run-summaries.ts';
import { RUNS_PAGE_BEFORE_SQL, RUNS_PAGE_SQL } from '../../../src-main/store/runs-repository.ts';
import { openStore, type Store } from '../../../src-main/store/store.ts';
import { newRun } from '../../fixtures/run-records.ts';

/** 25 ended runs (two share each creation time, so ids break ties) and two old active ones. */
function fixture(): Store {
  const store = openStore(':memory:');
  store.transaction(() => {
    for (let i = 0; i < 25; i++) {
      const id = `r${String(i).padStart(2, '0')}`;
      store.runs.insert(newRun(id, { createdAt: new Date(Date.UTC(2026, 0, 1) + Math.floor(i / 2) * 60_000).toISOString() }));
      store.runs.transition(id, ['queued'], i === 3 ? 'running' : 'completed');
      store.metrics.insert(id, [{ key: 'knn_top1', step: 1, epoch: 1, value: i / 100, wallTime: 1 }]);
    }
    // r01 is queued again (resumed): old, yet on the first page.
    store.runs.transition('r01', ['completed'], 'queued');
  });
  return store;
}

const ids = (runs: { id: string }[]) => runs.map((r) => r.id);

test('runs.list pages newest first by (createdAt, id) through a keyset cursor, with every active run on the first page', () => {
  const store = fixture();
  const first = summarizeRunsPage(store, { limit: 10 });
  assert.equal(first.total, 25);
  assert.deepEqual(ids(first.runs), ['r24', 'r23', 'r22', 'r21', 'r20', 'r19', 'r18', 'r17', 'r16', 'r15', 'r03', 'r01']);
  assert.equal(first.runs.find((r) => r.id === 'r20')?.metrics.knn_top1, 0.2);
  assert.deepEqual(first.next, { createdAt: first.runs[9]!.createdAt, id: 'r15' });
  const second = summarizeRunsPage(store, { limit: 10, before: first.next! });
  assert.deepEqual(ids(second.runs), ['r14', 'r13', 'r12', 'r11', 'r10', 'r09', 'r08', 'r07', 'r06', 'r05']);
  const third = summarizeRunsPage(store, { limit: 10, before: second.next! });
  assert.deepEqual(ids(third.runs), ['r04', 'r03', 'r02', 'r01', 'r00']);
  assert.equal(third.next, null, 'the last page has no cursor');
  // A full last page still gives a cursor; the page after it is empty and ends.
  const exact = summarizeRunsPage(store, { limit: 5, before: second.next! });
  assert.deepEqual(summarizeRunsPage(store, { limit: 5, before: exact.next! }), { runs: [], total: 25, next: null });
  store.close();
});

test('runs.list pages are index range scans, without a sort', () => {
  const store = fixture();
  for (const sql of [RUNS_PAGE_SQL, RUNS_PAGE_BEFORE_SQL]) {
    const plan = (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...(sql === RUNS_PAGE_SQL ? [10] : ['x', 'y', 10])) as { detail: string }[]).map((p) => p.detail).join('; ');
    assert.match(plan, /USING (COVERING )?INDEX runs_by_created/, plan);
    assert.doesNotMatch(plan, /TEMP B-TREE/, plan);
  }
  store.close();
});

test('runs.list input: limit defaults to and is bounded by the page size; the cursor is checked', () => {
  const input = methods['runs.list'].input;
  assert.deepEqual(input.parse({}), { limit: RUNS_LIST_MAX });
  assert.equal(input.safeParse({ limit: RUNS_LIST_MAX + 1 }).success, false);
  assert.equal(input.safeParse({ limit: 0 }).success, false);
  assert.equal(input.safeParse({ before: { createdAt: '2026-01-01T00:00:00.000Z', id: '../x' } }).success, false);
  assert.equal(input.safeParse({ before: { createdAt: '2026-01-01T00:00:00.000Z' } }).success, false);
});
