import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { up as up0001 } from '../../../../src-main/store/migrations/0001-runs.ts';
import { up as up0002 } from '../../../../src-main/store/migrations/0002-queue-housekeeping-evaluations.ts';
import { up as up0003 } from '../../../../src-main/store/migrations/0003-metric-summary-evaluation-samples.ts';
import { up as up0004 } from '../../../../src-main/store/migrations/0004-clusters.ts';
import { up as up0005 } from '../../../../src-main/store/migrations/0005-evaluation-cancelled.ts';

test('0005 lets an evaluation end cancelled, keeping every row, the cache index and the cascades', () => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  up0001(db);
  up0002(db);
  up0003(db);
  up0004(db);
  db.prepare(`INSERT INTO runs (id, name, preset, arch, dataset_kind, config, status, created_at, epochs)
    VALUES ('done', 'n', 'p', 'a', 'mnist', '{}', 'completed', 'x', 1)`).run();
  db.prepare(`INSERT INTO checkpoints (run, epoch, kind, path, sha256, bytes, created_at) VALUES ('done', 1, 'latest', '/c', 'abc', 1, 'x')`).run();
  const insert = db.prepare(`INSERT INTO evaluations (run, checkpoint_id, checkpoint_path, checkpoint_sha256, dataset, k, sigma, recompute_memory, status, top1, created_at)
    VALUES ('done', 1, '/c', 'abc', '{"kind":"mnist"}', ?, 0.1, 0, ?, ?, 'x')`);
  insert.run(30, 'completed', 0.75);
  insert.run(5, 'failed', null);
  assert.throws(() => insert.run(7, 'cancelled', null), /CHECK constraint/, 'version 4 refuses cancelled');
  db.prepare(`UPDATE evaluations SET samples_path = 'runs/done/evaluations/1.bin' WHERE id = 1`).run();

  up0005(db);
  assert.deepEqual(db.prepare('SELECT id, k, status, top1, samples_path FROM evaluations ORDER BY id').all(), [
    { id: 1, k: 30, status: 'completed', top1: 0.75, samples_path: 'runs/done/evaluations/1.bin' },
    { id: 2, k: 5, status: 'failed', top1: null, samples_path: null },
  ]);
  insert.run(7, 'cancelled', null);
  assert.throws(() => insert.run(8, 'paused', null), /CHECK constraint/);
  assert.throws(() => insert.run(30, 'completed', 0.5), /UNIQUE constraint/, 'one completed row per cache key');
  const indexes = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'evaluations' ORDER BY name`).pluck().all();
  assert.deepEqual(indexes, ['evaluations_by_run', 'evaluations_cache']);
  db.prepare('DELETE FROM checkpoints').run();
  assert.deepEqual(db.prepare('SELECT DISTINCT checkpoint_id FROM evaluations').pluck().all(), [null]);
  db.prepare(`DELETE FROM runs WHERE id = 'done'`).run();
  assert.equal(db.prepare('SELECT count(*) FROM evaluations').pluck().get(), 0);
  assert.deepEqual(db.pragma('foreign_key_check'), []);
  db.close();
});
