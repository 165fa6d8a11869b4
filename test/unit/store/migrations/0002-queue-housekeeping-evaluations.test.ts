import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { up as up0001 } from '../../../../src-main/store/migrations/0001-runs.ts';
import { up as up0002 } from '../../../../src-main/store/migrations/0002-queue-housekeeping-evaluations.ts';

function columns(db: Database.Database, table: string): string[] {
  return (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
}

function v1WithRuns(): Database.Database {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  up0001(db);
  const insert = db.prepare(`INSERT INTO runs (id, name, preset, arch, dataset_kind, config, status, created_at, epochs)
    VALUES (?, 'n', 'p', 'a', 'mnist', '{}', ?, ?, 1)`);
  insert.run('q-late', 'queued', '2025-01-03T00:00:00.000Z');
  insert.run('done', 'completed', '2025-01-01T00:00:00.000Z');
  insert.run('q-early', 'queued', '2025-01-02T00:00:00.000Z');
  return db;
}

test('0002 adds queue_position (existing queued runs numbered oldest first), tags, notes and evaluations', () => {
  const db = v1WithRuns();
  up0002(db);
  assert.deepEqual(columns(db, 'runs').slice(-3), ['queue_position', 'tags', 'notes']);
  const rows = db.prepare('SELECT id, queue_position AS pos, tags, notes FROM runs ORDER BY id').all();
  assert.deepEqual(rows, [
    { id: 'done', pos: null, tags: '[]', notes: '' },
    { id: 'q-early', pos: 1, tags: '[]', notes: '' },
    { id: 'q-late', pos: 2, tags: '[]', notes: '' },
  ]);
  assert.deepEqual(columns(db, 'evaluations'), [
    'id', 'run', 'checkpoint_id', 'checkpoint_path', 'checkpoint_sha256', 'checkpoint_epoch', 'dataset', 'k', 'sigma',
    'recompute_memory', 'status', 'top1', 'top5', 'nn_top1', 'samples', 'per_class', 'confusion', 'wall_seconds', 'error',
    'backend', 'created_at', 'ended_at', 'owner_pid',
  ]);
  db.close();
});

test('0002 constraints: tags must be JSON, one completed evaluation per cache key, deletes cascade or unlink', () => {
  const db = v1WithRuns();
  up0002(db);
  assert.throws(() => db.prepare(`UPDATE runs SET tags = 'nope' WHERE id = 'done'`).run(), /CHECK constraint/);
  db.prepare(`INSERT INTO checkpoints (run, epoch, kind, path, sha256, bytes, created_at) VALUES ('done', 1, 'latest', '/c', 'abc', 1, 'x')`).run();
  const insert = db.prepare(`INSERT INTO evaluations (run, checkpoint_id, checkpoint_path, checkpoint_sha256, dataset, k, sigma, recompute_memory, status, created_at)
    VALUES ('done', 1, '/c', 'abc', '{"kind":"mnist"}', 30, 0.1, 0, ?, 'x')`);
  insert.run('completed');
  insert.run('failed');
  insert.run('failed');
  assert.throws(() => insert.run('completed'), /UNIQUE constraint/);
  assert.throws(() => db.prepare(`UPDATE evaluations SET k = 0`).run(), /CHECK constraint/);
  db.prepare('DELETE FROM checkpoints').run();
  assert.deepEqual(db.prepare('SELECT DISTINCT checkpoint_id FROM evaluations').pluck().all(), [null]);
  db.prepare(`DELETE FROM runs WHERE id = 'done'`).run();
  assert.equal(db.prepare('SELECT count(*) FROM evaluations').pluck().get(), 0);
  db.close();
});
