import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { createPinia, setActivePinia } from 'pinia';
import { ApiError } from '../../../shared/api-error.ts';
import type { MethodInput } from '../../../shared/api.ts';
import type { RunSummary } from '../../../shared/domain.ts';
import { setApiClient } from '../../../src-renderer/api/client-holder.ts';
import { PAGE_SIZE, useRunTableStore } from '../../../src-renderer/stores/run-table.ts';
import { FakeClient } from './fake-client.ts';

const run = (id: string): RunSummary => ({
  id, name: id, preset: 'mnist-demo', arch: 'small-convnet', datasetKind: 'mnist', status: 'completed', createdAt: '2026-01-01T00:00:00.000Z',
  startedAt: null, endedAt: null, error: null, backend: 'cpu', device: 'cpu', epochs: 1, epochsDone: 1, metrics: {}, version: 1,
});

let client: FakeClient;
let memory: Map<string, string>;
const storage = () => ({ getItem: (k: string) => memory.get(k) ?? null, setItem: (k: string, v: string) => void memory.set(k, v) });

beforeEach(() => {
  client = new FakeClient();
  setApiClient(client);
  setActivePinia(createPinia());
  memory = new Map();
  // 450 runs; the fake answers any page of them.
  client.respond('runs.query', (input: MethodInput<'runs.query'>) => {
    if (input.where === 'bad >') throw new ApiError('invalid_input', 'Invalid query', [{ path: 'where', message: 'expected a value after > at column 5' }]);
    const all = Array.from({ length: 450 }, (_, i) => run(`r${i}`));
    const offset = input.offset ?? 0;
    const cols = input.columns ?? [];
    return { total: all.length, columns: cols, rows: all.slice(offset, offset + (input.limit ?? 200)).map((r) => ({ run: r, values: cols.map(() => 1) })) };
  });
});

test('pages load as the table scrolls; sort cycles; columns are remembered', async () => {
  const t = useRunTableStore();
  t.useStorage(storage());
  await t.reload();
  assert.equal(t.total, 450);
  assert.equal(t.rows.filter(Boolean).length, PAGE_SIZE);
  // Only the pages holding rows 390..420 are fetched.
  await t.ensureRows(390, 420);
  const pages = new Set([0, Math.floor(390 / PAGE_SIZE), Math.floor(420 / PAGE_SIZE)]);
  assert.equal(t.rows.filter(Boolean).length, [...pages].reduce((n, p) => n + Math.min(PAGE_SIZE, 450 - p * PAGE_SIZE), 0));
  assert.ok(t.rows[390] && t.rows[420] && !t.rows[389 - PAGE_SIZE]);
  assert.equal(client.calls.filter((c) => c.method === 'runs.query').length, pages.size);
  await t.ensureRows(400, 420);
  assert.equal(client.calls.filter((c) => c.method === 'runs.query').length, pages.size, 'loaded pages are not fetched again');

  await t.toggleSort('best.knn_top1');
  assert.deepEqual(t.sort, [{ field: 'best.knn_top1', descending: false }]);
  await t.toggleSort('best.knn_top1');
  assert.deepEqual(t.sort, [{ field: 'best.knn_top1', descending: true }]);
  await t.toggleSort('best.knn_top1');
  assert.deepEqual(t.sort, []);

  await t.setColumns(['seed', 'seed', 'last.loss']);
  assert.deepEqual(t.columns, ['seed', 'last.loss']);
  const again = useRunTableStore();
  again.useStorage(storage());
  assert.deepEqual(again.columns, ['seed', 'last.loss']);
  assert.deepEqual((client.calls.at(-1)!.input as { columns: string[] }).columns, ['seed', 'last.loss']);
});

test('a query error keeps the rows and exposes the positioned message; selection gates Compare', async () => {
  const t = useRunTableStore();
  t.useStorage(storage());
  await t.reload();
  await t.setWhere('bad >');
  assert.equal(t.whereError, 'expected a value after > at column 5');
  assert.equal(t.total, 450);
  await t.setWhere('');
  assert.equal(t.whereError, null);
  t.toggleSelected('r1');
  assert.equal(t.canCompare, false);
  t.toggleSelected('r2');
  assert.equal(t.canCompare, true);
  t.toggleSelected('r1');
  assert.deepEqual(t.selected, ['r2']);
});
