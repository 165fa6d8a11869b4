import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../../../src-main/store/migrations/index.ts';
import { up as up0013 } from '../../../../src-main/store/migrations/0013-evaluation-dataset-state.ts';

test('0013 adds the dataset state to the cache key: existing rows get \'\', one completed row per (key, state)', () => {
  const db = new Database(':memory:');
  for (const m of MIGRATIONS.slice(0, 12)) m.up(db);
  db.prepare(`INSERT INTO evaluations (id, checkpoint_path, checkpoint_sha256, dataset, k, sigma, recompute_memory, status, created_at)
    VALUES (1, '/c.safetensors', 'ab', '{}', 30, 0.1, 0, 'completed', 'x')`).run();
  up0013(db);
  assert.equal(db.prepare(`SELECT dataset_state FROM evaluations WHERE id = 1`).pluck().get(), '');
  const insert = db.prepare(`INSERT INTO evaluations (id, checkpoint_path, checkpoint_sha256, dataset, dataset_state, k, sigma, recompute_memory, status, created_at)
    VALUES (?, '/c.safetensors', 'ab', '{}', ?, 30, 0.1, 0, 'completed', 'x')`);
  insert.run(2, 'f00d');
  assert.throws(() => insert.run(3, 'f00d'), /UNIQUE/);
  assert.throws(() => insert.run(4, ''), /UNIQUE/);
  assert.deepEqual(db.prepare(`SELECT id FROM evaluations ORDER BY id`).pluck().all(), [1, 2]);
  db.close();
});
