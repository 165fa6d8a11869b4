import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../../../src-main/store/migrations/index.ts';
import { up as up0011 } from '../../../../src-main/store/migrations/0011-evaluation-models.ts';

test('0011 lets an evaluation name an imported model (NULL for existing rows); it goes with the model', () => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  for (const m of MIGRATIONS.slice(0, 10)) m.up(db);
  const insertEval = db.prepare(`INSERT INTO evaluations (id, checkpoint_path, checkpoint_sha256, dataset, k, sigma, recompute_memory, status, created_at)
    VALUES (?, '/m/weights.safetensors', ?, '{}', 30, 0.1, 0, 'completed', 'x')`);
  insertEval.run(1, 'ab');
  up0011(db);
  assert.equal(db.prepare(`SELECT model FROM evaluations WHERE id = 1`).pluck().get(), null);
  db.prepare(`INSERT INTO models (id, name, file_name, file_bytes, sha256, arch, config, layout, format, imported_at)
    VALUES ('m1', 'm', 'f.pth.tar', 10, ?, 'resnet18', '{"lowDim":128,"width":64}', 'imagenet', 'zip', 'x')`).run('c'.repeat(64));
  insertEval.run(2, 'c'.repeat(64));
  db.prepare(`UPDATE evaluations SET model = 'm1' WHERE id = 2`).run();
  assert.throws(() => db.prepare(`UPDATE evaluations SET model = 'nope' WHERE id = 1`).run(), /FOREIGN KEY/);
  db.prepare(`DELETE FROM models WHERE id = 'm1'`).run();
  assert.deepEqual(db.prepare(`SELECT id FROM evaluations`).pluck().all(), [1]);
  db.close();
});
