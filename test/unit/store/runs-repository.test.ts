import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../../src-main/store/store.ts';
import { newRun } from '../../fixtures/run-records.ts';

test('insert/get/list round-trip, newest first', () => {
  const store = openStore(':memory:');
  store.runs.insert(newRun('a1', { createdAt: '2025-01-01T00:00:00.000Z', name: 'first' }));
  store.runs.insert(newRun('a2', { createdAt: '2025-01-02T00:00:00.000Z', name: 'second' }));
  const a1 = store.runs.get('a1');
  assert.ok(a1);
  assert.equal(a1.name, 'first');
  assert.equal(a1.status, 'queued');
  assert.equal(a1.datasetKind, 'mnist');
  assert.equal(a1.epochsDone, 0);
  assert.equal(a1.ownerPid, process.pid);
  assert.equal(store.runs.get('nope'), undefined);
  assert.deepEqual(store.runs.list().map((r) => r.id), ['a2', 'a1']);
  assert.equal(JSON.parse(store.runs.configJson('a1')!).arch, 'small-convnet');
  store.close();
});

test('transition is compare-and-set on the current status', () => {
  const store = openStore(':memory:');
  store.runs.insert(newRun('r'));
  assert.equal(store.runs.transition('r', ['running'], 'completed'), false, 'not running yet');
  assert.equal(store.runs.transition('r', ['queued'], 'running', { startedAt: 'S', ownerPid: 42, heartbeatAt: 5 }), true);
  assert.equal(store.runs.transition('r', ['queued'], 'running'), false, 'the second claim loses');
  assert.equal(store.runs.requestCancel('r', 9), true);
  assert.equal(store.runs.requestCancel('r', 10), false, 'already requested');
  assert.deepEqual(store.runs.cancelRequested(['r', 'other']), ['r']);
  assert.equal(store.runs.transition('r', ['running'], 'failed', { endedAt: 'E', error: 'boom', epochsDone: 2 }), true);
  const r = store.runs.get('r')!;
  assert.equal(r.status, 'failed');
  assert.equal(r.startedAt, 'S');
  assert.equal(r.endedAt, 'E');
  assert.equal(r.error, 'boom');
  assert.equal(r.ownerPid, 42);
  assert.equal(r.epochsDone, 2);
  assert.equal(r.cancelRequestedAt, null, 'cleared when the run ended');
  store.close();
});

test('epochs_done only rises; heartbeat touches only active rows of the owner', () => {
  const store = openStore(':memory:');
  store.runs.insert(newRun('r', { heartbeatAt: 1 }));
  store.runs.insert(newRun('s', { heartbeatAt: 1, ownerPid: 999999 }));
  assert.equal(store.runs.raiseEpochsDone('r', 3), true);
  assert.equal(store.runs.raiseEpochsDone('r', 2), false);
  assert.equal(store.runs.get('r')!.epochsDone, 3);
  store.runs.heartbeat(['r', 's'], process.pid, 100);
  assert.equal(store.runs.get('r')!.heartbeatAt, 100);
  assert.equal(store.runs.get('s')!.heartbeatAt, 1, 'owned by another process');
  store.runs.setBackend('r', 'cpu', 'CPU (test)');
  assert.equal(store.runs.get('r')!.backend, 'cpu');
  assert.equal(store.runs.get('r')!.device, 'CPU (test)');
  assert.deepEqual(store.runs.listActive().map((x) => x.id).sort(), ['r', 's']);
  assert.equal(store.runs.adoptQueued('s', 999999, process.pid, 200), true);
  assert.equal(store.runs.adoptQueued('s', 999999, process.pid, 300), false, 'owner changed meanwhile');
  store.close();
});

test('queue positions: new runs go to the end, leaving the queue clears it, re-entering goes to the end; reorder swaps places atomically', () => {
  const store = openStore(':memory:');
  for (const id of ['a', 'b', 'c']) store.runs.insert(newRun(id));
  assert.deepEqual(store.runs.listQueued().map((r) => [r.id, r.queuePosition]), [['a', 1], ['b', 2], ['c', 3]]);
  assert.equal(store.runs.transition('a', ['queued'], 'running'), true);
  assert.equal(store.runs.get('a')!.queuePosition, null);
  assert.equal(store.runs.reorderQueued(['c', 'b']), true);
  assert.deepEqual(store.runs.listQueued().map((r) => [r.id, r.queuePosition]), [['c', 2], ['b', 3]]);
  assert.equal(store.runs.reorderQueued(['a', 'b']), false, 'a is not queued: nothing changes');
  assert.deepEqual(store.runs.listQueued().map((r) => r.id), ['c', 'b']);
  store.runs.transition('a', ['running'], 'interrupted');
  store.runs.transition('a', ['interrupted'], 'queued');
  assert.deepEqual(store.runs.listQueued().map((r) => [r.id, r.queuePosition]), [['c', 2], ['b', 3], ['a', 4]]);
  assert.equal(store.runs.deleteQueued('b'), true);
  assert.equal(store.runs.deleteQueued('b'), false);
  assert.equal(store.runs.deleteEnded('c'), false, 'queued runs are not deleted by deleteEnded');
  assert.equal(store.runs.updateDetails('c', { tags: ['x', 'y'], notes: 'n' }), true);
  assert.deepEqual([store.runs.get('c')!.tags, store.runs.get('c')!.notes], [['x', 'y'], 'n']);
  store.close();
});
