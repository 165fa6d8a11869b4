import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase } from '../../../src-main/store/database.ts';
import { DatabaseError } from '../../../src-main/store/database-error.ts';
import { LATEST_SCHEMA_VERSION } from '../../../src-main/store/migrations/index.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';

test('openDatabase creates the folder, uses WAL, foreign keys, busy timeout and the latest schema', () => {
  const tmp = makeTempDir();
  try {
    const db = openDatabase(join(tmp.dir, 'nested', 'snca.db'), { busyTimeoutMs: 1234 });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
    assert.equal(db.pragma('busy_timeout', { simple: true }), 1234);
    assert.equal(db.pragma('user_version', { simple: true }), LATEST_SCHEMA_VERSION);
    db.close();
    // Reopening an up-to-date database is a no-op.
    const again = openDatabase(join(tmp.dir, 'nested', 'snca.db'));
    assert.equal(again.pragma('user_version', { simple: true }), LATEST_SCHEMA_VERSION);
    again.close();
  } finally {
    tmp.cleanup();
  }
});

test('a database from a newer app version is refused with a clear message and not modified', () => {
  const tmp = makeTempDir();
  try {
    const path = join(tmp.dir, 'snca.db');
    const raw = new Database(path);
    raw.exec('CREATE TABLE future (x INTEGER)');
    raw.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    raw.close();
    const before = readFileSync(path);
    assert.throws(() => openDatabase(path), (err: unknown) => err instanceof DatabaseError && err.code === 'newer_schema' && /newer SNCA Studio/.test(err.message));
    assert.deepEqual(readFileSync(path), before);
  } finally {
    tmp.cleanup();
  }
});

test('a file that is not a database gives an open_failed error naming the path', () => {
  const tmp = makeTempDir();
  try {
    const path = join(tmp.dir, 'snca.db');
    writeFileSync(path, 'this is not sqlite, just text long enough to have a header of sorts.........................................');
    assert.throws(() => openDatabase(path), (err: unknown) => err instanceof DatabaseError && err.code === 'open_failed' && err.message.includes(path));
  } finally {
    tmp.cleanup();
  }
});
