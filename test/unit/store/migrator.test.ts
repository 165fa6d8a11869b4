import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { migrate, schemaVersion, type Migration } from '../../../src-main/store/migrator.ts';
import { DatabaseError } from '../../../src-main/store/database-error.ts';

const two: Migration[] = [
  { version: 1, name: '0001-a', up: (db) => db.exec('CREATE TABLE a (x INTEGER)') },
  { version: 2, name: '0002-b', up: (db) => db.exec('CREATE TABLE b (y INTEGER)') },
];

test('applies pending migrations in order and records the version', () => {
  const db = new Database(':memory:');
  assert.deepEqual(migrate(db, two.slice(0, 1)), { from: 0, to: 1, applied: ['0001-a'] });
  assert.deepEqual(migrate(db, two), { from: 1, to: 2, applied: ['0002-b'] });
  assert.deepEqual(migrate(db, two), { from: 2, to: 2, applied: [] });
  assert.equal(schemaVersion(db), 2);
});

test('a failing migration rolls back its own changes and keeps the previous version', () => {
  const db = new Database(':memory:');
  const broken: Migration[] = [
    two[0]!,
    { version: 2, name: '0002-broken', up: (d) => { d.exec('CREATE TABLE half (z INTEGER)'); d.exec('CREATE TABLE a (x)'); } },
  ];
  assert.throws(() => migrate(db, broken), (err: unknown) => {
    assert.ok(err instanceof DatabaseError);
    assert.equal(err.code, 'migration_failed');
    assert.match(err.message, /schema version 2 \(0002-broken\)/);
    return true;
  });
  assert.equal(schemaVersion(db), 1);
  assert.equal(db.prepare(`SELECT count(*) FROM sqlite_master WHERE name = 'half'`).pluck().get(), 0);
});

test('a database newer than the known migrations is refused and left untouched', () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE precious (v TEXT)');
  db.pragma('user_version = 7');
  assert.throws(() => migrate(db, two), (err: unknown) => {
    assert.ok(err instanceof DatabaseError);
    assert.equal(err.code, 'newer_schema');
    assert.match(err.message, /schema version 7.*up to 2.*update the app/s);
    return true;
  });
  assert.equal(schemaVersion(db), 7);
  assert.equal(db.prepare(`SELECT count(*) FROM sqlite_master WHERE name = 'precious'`).pluck().get(), 1);
});

test('a gap in the migration list is a programming error', () => {
  const db = new Database(':memory:');
  assert.throws(() => migrate(db, [two[1]!]), /expected 1/);
});
