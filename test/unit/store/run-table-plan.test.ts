import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetricPoint } from '../../../shared/domain.ts';
import { parseRunQuery } from '../../../shared/run-query.ts';
import { resolveField } from '../../../shared/run-query-fields.ts';
import { compileRunQuery, fieldSql, RUN_TABLE_FROM } from '../../../src-main/store/run-query-sql.ts';
import { queryRunTable } from '../../../src-main/store/run-table-query.ts';
import { openStore, type Store } from '../../../src-main/store/store.ts';
import { demoConfig, newRun } from '../../fixtures/run-records.ts';

/** 150 runs: three lrs, four archs, tags, ties in metric values and in creation times, some runs without a metric. */
function fixture(): Store {
  const store = openStore(':memory:');
  store.transaction(() => {
    for (let i = 0; i < 150; i++) {
      const id = `r${i}`;
      const config = demoConfig({ name: id, lr: [0.1, 0.05, 0.01][i % 3]!, seed: i % 7 });
      const createdAt = new Date(Date.UTC(2026, 9, 1) + Math.floor(i / 2) * 3_600_000).toISOString();
      store.runs.insert(newRun(id, { name: id, arch: ['resnet18', 'resnet50', 'small-convnet', 'cifar-resnet18'][i % 4]!, configJson: JSON.stringify(config), createdAt }));
      store.runs.updateDetails(id, { tags: i % 5 === 0 ? ['baseline'] : i % 5 === 1 ? ['Sweep', 'x'] : [] });
      const pts: MetricPoint[] = [];
      if (i % 4 !== 0) for (let e = 1; e <= 3; e++) pts.push({ key: 'knn_top1', step: e, epoch: e, value: ((i * 7) % 10) / 10 + e / 100, wallTime: e });
      if (i % 3 !== 0) pts.push({ key: 'loss', step: 1, epoch: 1, value: (i % 6) / 10, wallTime: 1 });
      store.metrics.insert(id, pts);
    }
  });
  return store;
}

type Sort = { field: string; descending: boolean };

/** Every matching id in order, the plain way: correlated summaries, one statement, no paging. */
function reference(store: Store, where: string, sort: Sort[]): string[] {
  const w = where ? compileRunQuery(parseRunQuery(where)!, false) : { sql: '1', params: [] };
  const keys = sort.map((s) => ({ ...fieldSql(resolveField(s.field)!), dir: s.descending ? 'DESC' : 'ASC' }));
  const order = [...keys.map((k) => `${k.sql} ${k.dir} NULLS LAST`), 'r.created_at DESC', 'r.id DESC'].join(', ');
  return store.db.prepare(`SELECT r.id FROM ${RUN_TABLE_FROM} WHERE ${w.sql} ORDER BY ${order}`).pluck().all(...w.params, ...keys.flatMap((k) => k.params)) as string[];
}

function paged(store: Store, where: string, sort: Sort[], limit: number): { ids: string[]; totals: Set<number> } {
  const ids: string[] = [];
  const totals = new Set<number>();
  for (let offset = 0; ; offset += limit) {
    const page = queryRunTable(store.db, { where: parseRunQuery(where), sort: sort.map((s) => ({ field: resolveField(s.field)!, descending: s.descending })), columns: [], offset, limit });
    totals.add(page.total);
    ids.push(...page.rows.map((r) => r.id));
    if (page.rows.length < limit) return { ids, totals };
  }
}

test('every page of every query shape equals the plain query: filters, negations, metric sorts across runs without the metric', () => {
  const store = fixture();
  const wheres = ['', 'knn_top1 > 0.5', 'not knn_top1 > 0.5', 'knn_top1 > 0.5 or tag:baseline', 'lr = 0.05 and not tag:sweep', 'last.loss <= 0.3 and arch ~ NET', 'created > 2026-10-03'];
  const sorts: Sort[][] = [
    [],
    [{ field: 'knn_top1', descending: true }],
    [{ field: 'knn_top1', descending: false }],
    [{ field: 'loss', descending: false }, { field: 'lr', descending: true }],
    [{ field: 'lr', descending: false }, { field: 'name', descending: true }],
    [{ field: 'best_epoch.knn_top1', descending: true }],
  ];
  for (const where of wheres) {
    for (const sort of sorts) {
      const expected = reference(store, where, sort);
      const got = paged(store, where, sort, 7);
      assert.deepEqual(got.ids, expected, `${where} / ${JSON.stringify(sort)}`);
      assert.deepEqual([...got.totals], [expected.length], `${where} / ${JSON.stringify(sort)}: total`);
    }
  }
  store.close();
});

test('the query plans use the indexes: tags, metric conditions, and an unfiltered metric sort walk an index instead of a scan', () => {
  const store = fixture();
  const plan = (sql: string, params: unknown[]) => (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((p) => p.detail).join('\n');
  const whereOf = (q: string) => compileRunQuery(parseRunQuery(q)!);
  const tag = whereOf('tag:BASELINE');
  assert.match(plan(`SELECT r.id FROM ${RUN_TABLE_FROM} WHERE ${tag.sql}`, tag.params), /SEARCH t USING PRIMARY KEY \(tag=\?\)/);
  const metric = whereOf('knn_top1 > 0.5');
  assert.match(plan(`SELECT r.id FROM ${RUN_TABLE_FROM} WHERE ${metric.sql}`, metric.params), /metric_summary_by_key_max \(key=\? AND max_value>\?\)/);
  const lr = whereOf('lr = 0.05');
  assert.doesNotMatch(lr.sql, /json_extract/, 'config fields are columns, not JSON parsed per row');

  // The statements of an unfiltered page sorted by best kNN top-1.
  const seen: string[] = [];
  const prepare = store.db.prepare.bind(store.db);
  store.db.prepare = ((sql: string) => {
    seen.push(sql);
    return prepare(sql);
  }) as typeof store.db.prepare;
  queryRunTable(store.db, { where: null, sort: [{ field: resolveField('knn_top1')!, descending: true }], columns: [], offset: 0, limit: 20 });
  store.db.prepare = prepare;
  const pageSql = seen.find((s) => s.includes('metric_summary AS s'))!;
  const pagePlan = plan(pageSql, ['knn_top1', 20, 0]);
  assert.match(pagePlan, /metric_summary_by_key_max \(key=\?\)/);
  assert.doesNotMatch(pagePlan, /TEMP B-TREE FOR ORDER BY/, 'only the tie-break is sorted');
  store.close();
});
