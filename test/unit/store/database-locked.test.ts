import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { ApiHandlers } from '../../../shared/api.ts';
import { dispatchCall } from '../../../src-main/core/call-dispatch.ts';
import { openDatabase } from '../../../src-main/store/database.ts';
import { DatabaseError } from '../../../src-main/store/database-error.ts';
import { openStore } from '../../../src-main/store/store.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';
import { newRun } from '../../fixtures/run-records.ts';

test('opening a database another process holds an exclusive lock on fails with an actionable message; the file is not reset', () => {
  const tmp = makeTempDir();
  try {
    const path = join(tmp.dir, 'snca.db');
    // A rollback-journal database (as another tool may leave it) locked exclusively by another connection.
    const other = new Database(path);
    other.exec('CREATE TABLE keep (x INTEGER); INSERT INTO keep VALUES (42);');
    other.exec('BEGIN EXCLUSIVE');
    const before = readFileSync(path);
    assert.throws(
      () => openDatabase(path, { busyTimeoutMs: 50 }),
      (err: unknown) => err instanceof DatabaseError && err.code === 'locked' && err.message.includes(path) && /locked by another process/.test(err.message) && /nothing was reset/.test(err.message),
    );
    other.exec('COMMIT');
    assert.deepEqual(readFileSync(path), before);
    assert.equal(other.prepare('SELECT x FROM keep').pluck().get(), 42);
    other.close();
  } finally {
    tmp.cleanup();
  }
});

test('a write while another connection holds the write lock answers unavailable with the same message', async () => {
  const tmp = makeTempDir();
  try {
    const path = join(tmp.dir, 'snca.db');
    const store = openStore(path, { busyTimeoutMs: 50 });
    store.runs.insert(newRun('r1'));
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    const handlers = { 'runs.update': ({ id, name }: { id: string; name: string }) => store.runs.updateDetails(id, { name }) } as unknown as ApiHandlers;
    const r = await dispatchCall(handlers, 'runs.update', { id: 'r1', name: 'renamed' });
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.error.code === 'unavailable' && /locked by another process/.test(r.error.message), JSON.stringify(r));
    other.exec('ROLLBACK');
    other.close();
    assert.equal(store.runs.get('r1')!.name, newRun('r1').name, 'nothing was written');
    store.close();
  } finally {
    tmp.cleanup();
  }
});
