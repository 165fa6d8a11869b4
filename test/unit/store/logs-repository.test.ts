import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../../src-main/store/store.ts';
import { newRun } from '../../fixtures/run-records.ts';

test('log lines round-trip with ids and are read after a cursor', () => {
  const store = openStore(':memory:');
  store.runs.insert(newRun('r'));
  store.runs.insert(newRun('s'));
  const written = store.logs.append('r', [
    { level: 'info', message: 'one', wallTime: 1 },
    { level: 'warn', message: 'two', wallTime: 2 },
    { level: 'error', message: 'three', wallTime: 3 },
  ]);
  store.logs.append('s', [{ level: 'debug', message: 'other run', wallTime: 4 }]);
  assert.equal(written.length, 3);
  assert.ok(written[0]!.id < written[1]!.id);
  const all = store.logs.after('r', 0, 100);
  assert.deepEqual(all, written);
  assert.deepEqual(store.logs.after('r', written[0]!.id, 1).map((l) => l.message), ['two']);
  assert.deepEqual(store.logs.after('r', written[2]!.id, 100), []);
  assert.deepEqual(store.logs.append('r', []), []);
  store.close();
});
