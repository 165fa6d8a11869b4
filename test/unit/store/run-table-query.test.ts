import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetricKey, MetricPoint } from '../../../shared/domain.ts';
import { parseRunQuery } from '../../../shared/run-query.ts';
import { resolveField } from '../../../shared/run-query-fields.ts';
import { compileRunQuery } from '../../../src-main/store/run-query-sql.ts';
import { queryRunTable } from '../../../src-main/store/run-table-query.ts';
import { openStore, type Store } from '../../../src-main/store/store.ts';
import { demoConfig, newRun } from '../../fixtures/run-records.ts';

const pt = (key: MetricKey, step: number, value: number): MetricPoint => ({ key, step, epoch: step, value, wallTime: step });

function fixture(): Store {
  const store = openStore(':memory:');
  const add = (id: string, arch: string, lr: number, created: string, tags: string[], knn: number[], loss: number[]) => {
    const config = demoConfig({ lr, name: `run ${id}` });
    store.runs.insert(newRun(id, { name: `run ${id}`, arch, configJson: JSON.stringify(config), createdAt: created }));
    store.runs.updateDetails(id, { tags });
    store.metrics.insert(id, [...knn.map((v, i) => pt('knn_top1', i + 1, v)), ...loss.map((v, i) => pt('loss', i + 1, v))]);
  };
  add('a', 'resnet18', 0.1, '2026-10-20T10:00:00.000Z', ['baseline'], [0.5, 0.93, 0.91], [3, 2, 1]);
  add('b', 'resnet18', 0.05, '2026-11-01T12:00:00.000Z', ['baseline'], [0.6, 0.95], [2, 1.5]);
  add('c', 'resnet18', 0.1, '2026-11-02T00:00:00.000Z', ['Baseline', 'x'], [0.92], [4]);
  add('d', 'resnet50', 0.1, '2026-11-05T00:00:00.000Z', ['baseline'], [0.97], [0.5]);
  add('e', 'resnet18', 0.1, '2026-11-06T00:00:00.000Z', [], [0.99], [0.2]);
  add('f', 'small-convnet', 0.01, '2026-11-07T00:00:00.000Z', ['two words'], [], []);
  return store;
}

function ids(store: Store, where: string, sort: { field: string; descending: boolean }[] = []): string[] {
  const page = queryRunTable(store.db, {
    where: parseRunQuery(where),
    sort: sort.map((s) => ({ field: resolveField(s.field)!, descending: s.descending })),
    columns: [],
    offset: 0,
    limit: 100,
  });
  assert.equal(page.total, page.rows.length);
  return page.rows.map((r) => r.id);
}

test('a query of a column, a best metric, a tag and a creation day selects the matching runs', () => {
  const store = fixture();
  // a: created before; b: created on 11-01 (not after it); c: tag matches case-insensitively; d: resnet50; e: no tag.
  assert.deepEqual(ids(store, 'arch = resnet18 and knn_top1 > 0.9 and tag:baseline and created > 2026-11-01'), ['c']);
  assert.deepEqual(ids(store, 'created = 2026-11-01'), ['b']);
  assert.deepEqual(ids(store, 'created <= 2026-11-01'), ['b', 'a']);
  assert.deepEqual(ids(store, 'created < 2026-11-01'), ['a']);
  assert.deepEqual(ids(store, 'created >= 2026-11-06'), ['f', 'e']);
  store.close();
});

test('metrics: best follows the direction of the metric; last and epoch of best; missing values never match', () => {
  const store = fixture();
  assert.deepEqual(ids(store, 'knn_top1 >= 0.93'), ['e', 'd', 'b', 'a']);
  assert.deepEqual(ids(store, 'last.knn_top1 >= 0.93'), ['e', 'd', 'b']);
  assert.deepEqual(ids(store, 'best_epoch.knn_top1 = 2'), ['b', 'a']);
  assert.deepEqual(ids(store, 'loss < 1'), ['e', 'd']);
  assert.deepEqual(ids(store, 'best.loss = 1'), ['a']);
  assert.deepEqual(ids(store, 'not knn_top1 > 0.5'), []);
  store.close();
});

test('config fields, or, not, contains, tags with spaces', () => {
  const store = fixture();
  assert.deepEqual(ids(store, 'lr < 0.1'), ['f', 'b']);
  assert.deepEqual(ids(store, 'arch = resnet50 or lr = 0.01'), ['f', 'd']);
  assert.deepEqual(ids(store, 'not tag:baseline'), ['f', 'e']);
  assert.deepEqual(ids(store, 'tag != baseline and arch ~ NET1'), ['e']);
  assert.deepEqual(ids(store, 'tag:"two words"'), ['f']);
  assert.deepEqual(ids(store, 'name ~ "run c"'), ['c']);
  assert.deepEqual(ids(store, 'seed = 0 and nesterov = true and dataset = mnist'), ['f', 'e', 'd', 'c', 'b', 'a']);
  store.close();
});

test('sorting by metric and config fields, runs without the value last, then newest first', () => {
  const store = fixture();
  assert.deepEqual(ids(store, '', [{ field: 'knn_top1', descending: true }]), ['e', 'd', 'b', 'a', 'c', 'f']);
  assert.deepEqual(ids(store, '', [{ field: 'knn_top1', descending: false }]), ['c', 'a', 'b', 'd', 'e', 'f']);
  assert.deepEqual(ids(store, '', [{ field: 'lr', descending: false }, { field: 'name', descending: true }]), ['f', 'b', 'e', 'd', 'c', 'a']);
  store.close();
});

test('columns, paging and total', () => {
  const store = fixture();
  const page = queryRunTable(store.db, {
    where: parseRunQuery('arch = resnet18'),
    sort: [{ field: resolveField('created')!, descending: false }],
    columns: ['lr', 'best.knn_top1', 'last.knn_top1', 'best_epoch.knn_top1', 'best.loss', 'arch'].map((f) => resolveField(f)!),
    offset: 1,
    limit: 2,
  });
  assert.equal(page.total, 4);
  assert.deepEqual(page.rows, [
    { id: 'b', values: [0.05, 0.95, 0.95, 2, 1.5, 'resnet18'] },
    { id: 'c', values: [0.1, 0.92, 0.92, 1, 4, 'resnet18'] },
  ]);
  store.close();
});

test('values never enter the SQL text: quotes and SQL in values are matched literally', () => {
  const store = fixture();
  const evil = `x' OR 1=1 --`;
  const q = parseRunQuery(`name = "${evil}" or tag:"'); DROP TABLE runs; --"`)!;
  const compiled = compileRunQuery(q);
  assert.ok(!compiled.sql.includes('OR 1=1') && !compiled.sql.includes('DROP'), compiled.sql);
  assert.ok(compiled.params.includes(evil));
  assert.deepEqual(ids(store, `name = "${evil}"`), []);
  assert.equal(store.db.prepare('SELECT count(*) FROM runs').pluck().get(), 6);
  store.close();
});
