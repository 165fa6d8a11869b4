import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { createPinia, setActivePinia } from 'pinia';
import type { RunSummary } from '../../../shared/domain.ts';
import { setApiClient } from '../../../src-renderer/api/client-holder.ts';
import { formatBytes, movedOrder, queuedInOrder, useRunHousekeepingStore } from '../../../src-renderer/stores/run-housekeeping.ts';
import { useRunsStore } from '../../../src-renderer/stores/runs.ts';
import { FakeClient, listPage } from './fake-client.ts';

function summary(id: string, patch: Partial<RunSummary> = {}): RunSummary {
  return {
    id, name: id, preset: 'mnist-demo', arch: 'small-convnet', datasetKind: 'mnist', status: 'queued',
    createdAt: '2025-01-01T00:00:00.000Z', startedAt: null, endedAt: null, error: null, backend: null, device: null,
    epochs: 5, epochsDone: 0, metrics: {}, version: 1, ...patch,
  };
}

let client: FakeClient;
beforeEach(() => {
  setActivePinia(createPinia());
  client = new FakeClient();
  setApiClient(client);
});

test('queue order helpers: queued runs by position; moving swaps neighbours; ends cannot move further', () => {
  const list = [summary('c', { queuePosition: 3 }), summary('run', { status: 'running' }), summary('a', { queuePosition: 1 }), summary('b', { queuePosition: 2 })];
  assert.deepEqual(queuedInOrder(list).map((r) => r.id), ['a', 'b', 'c']);
  assert.deepEqual(movedOrder(list, 'b', -1), ['b', 'a', 'c']);
  assert.deepEqual(movedOrder(list, 'b', 1), ['a', 'c', 'b']);
  assert.equal(movedOrder(list, 'a', -1), null);
  assert.equal(movedOrder(list, 'c', 1), null);
  assert.equal(movedOrder(list, 'run', 1), null);
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(3 * 1024 * 1024), '3.0 MB');
});

test('move calls runs.reorder and applies the answer; run.removed drops a run; rename applies even against a further-along snapshot', async () => {
  const runs = useRunsStore();
  const hk = useRunHousekeepingStore();
  runs.attach();
  client.respond('runs.list', () => listPage([summary('a', { queuePosition: 1 }), summary('b', { queuePosition: 2 }), summary('r', { status: 'running', epochsDone: 3, version: 5 })]));
  await runs.loadList();
  client.respond('runs.reorder', ({ ids }) => ids.map((id, i) => summary(id, { queuePosition: i + 1 })));
  await hk.move('b', -1);
  assert.deepEqual(client.calls.at(-1), { method: 'runs.reorder', input: { ids: ['b', 'a'] } });
  assert.deepEqual(queuedInOrder(runs.runs).map((r) => r.id), ['b', 'a']);
  client.emit('run.removed', { id: 'a' });
  assert.deepEqual(runs.runs.map((r) => r.id).sort(), ['b', 'r']);
  client.respond('runs.update', ({ id, name }) => summary(id, { status: 'running', epochsDone: 1, name: name ?? id, version: 4 }));
  await hk.update({ id: 'r', name: 'renamed' });
  const r = runs.summaryOf('r')!;
  assert.equal(r.name, 'renamed');
  assert.equal(r.epochsDone, 3, 'progress is not rolled back by the answer');
});
