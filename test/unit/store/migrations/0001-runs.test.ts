import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { up } from '../../../../src-main/store/migrations/0001-runs.ts';

function columns(db: Database.Database, table: string): string[] {
  return (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
}

test('0001 creates runs, metrics, metric_last, checkpoints and run_logs with their columns', () => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  up(db);
  assert.deepEqual(columns(db, 'runs'), [
    'id', 'name', 'preset', 'arch', 'dataset_kind', 'config', 'status', 'created_at', 'started_at', 'ended_at', 'error',
    'backend', 'device', 'epochs', 'epochs_done', 'owner_pid', 'heartbeat_at', 'cancel_requested_at',
  ]);
  assert.deepEqual(columns(db, 'metrics'), ['run', 'key', 'step', 'epoch', 'value', 'wall_time']);
  assert.deepEqual(columns(db, 'metric_last'), ['run', 'key', 'step', 'value']);
  assert.deepEqual(columns(db, 'checkpoints'), ['id', 'run', 'epoch', 'kind', 'path', 'metrics', 'sha256', 'bytes', 'created_at']);
  assert.deepEqual(columns(db, 'run_logs'), ['id', 'run', 'level', 'message', 'wall_time']);
  const indexes = (db.prepare(`PRAGMA index_list(metrics)`).all() as { name: string }[]).map((i) => i.name);
  assert.ok(indexes.includes('metrics_by_run_key_step'));
  const indexed = (db.prepare(`PRAGMA index_info(metrics_by_run_key_step)`).all() as { name: string }[]).map((c) => c.name);
  assert.deepEqual(indexed, ['run', 'key', 'step']);
  db.close();
});

test('0001 constraints: unknown status, bad JSON config and orphan metrics are rejected; deletes cascade', () => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  up(db);
  const insert = db.prepare(`INSERT INTO runs (id, name, preset, arch, dataset_kind, config, status, created_at, epochs)
    VALUES (?, 'n', 'p', 'a', 'mnist', ?, ?, '2025-01-01T00:00:00.000Z', 1)`);
  assert.throws(() => insert.run('r1', '{}', 'paused'), /CHECK constraint/);
  assert.throws(() => insert.run('r1', 'not json', 'queued'), /CHECK constraint/);
  insert.run('r1', '{}', 'queued');
  assert.throws(() => db.prepare(`INSERT INTO metrics VALUES ('nope', 'loss', 1, 0, 1, 0)`).run(), /FOREIGN KEY/);
  db.prepare(`INSERT INTO metrics VALUES ('r1', 'loss', 1, 0, 1, 0)`).run();
  db.prepare(`INSERT INTO run_logs (run, level, message, wall_time) VALUES ('r1', 'info', 'x', 0)`).run();
  assert.throws(() => db.prepare(`INSERT INTO run_logs (run, level, message, wall_time) VALUES ('r1', 'loud', 'x', 0)`).run(), /CHECK/);
  db.prepare(`DELETE FROM runs WHERE id = 'r1'`).run();
  assert.equal(db.prepare('SELECT count(*) FROM metrics').pluck().get(), 0);
  assert.equal(db.prepare('SELECT count(*) FROM run_logs').pluck().get(), 0);
  db.close();
});
