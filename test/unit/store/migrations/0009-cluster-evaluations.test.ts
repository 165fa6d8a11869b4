import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../../../src-main/store/migrations/index.ts';
import { up as up0009 } from '../../../../src-main/store/migrations/0009-cluster-evaluations.ts';

test('0009 adds a per-run resubmission limit (NULL for existing runs) and a STRICT cluster_evaluations table that goes with its evaluation', () => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  for (const m of MIGRATIONS.slice(0, 8)) m.up(db);
  db.prepare(`INSERT INTO runs (id, name, preset, arch, dataset_kind, config, status, created_at, epochs)
    VALUES ('r', 'n', 'p', 'a', 'mnist', '{}', 'queued', 'x', 1)`).run();
  db.prepare(`INSERT INTO clusters VALUES ('c', '{"kind":"local"}', '/w', '{}', 0, 'x')`).run();
  db.prepare(`INSERT INTO cluster_runs (run, cluster, run_dir, resources) VALUES ('r', 'c', '/w/runs/r', '{}')`).run();
  up0009(db);
  assert.equal(db.prepare(`SELECT auto_resubmit FROM cluster_runs`).pluck().get(), null);
  assert.throws(() => db.prepare(`UPDATE cluster_runs SET auto_resubmit = -1`).run(), /CHECK constraint/);
  assert.match(db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'cluster_evaluations'`).pluck().get() as string, /STRICT/);
  db.prepare(`INSERT INTO evaluations (id, run, checkpoint_path, checkpoint_sha256, dataset, k, sigma, recompute_memory, status, created_at)
    VALUES (1, 'r', '/w/runs/r/checkpoints/latest.ckpt', 'ab', '{}', 30, 0.1, 0, 'running', 'x')`).run();
  db.prepare(`INSERT INTO cluster_evaluations (evaluation, cluster, job_dir) VALUES (1, 'c', '/w/evaluations/1')`).run();
  assert.throws(() => db.prepare(`INSERT INTO cluster_evaluations (evaluation, cluster, job_dir) VALUES (2, 'c', '/w')`).run(), /FOREIGN KEY/);
  assert.throws(() => db.prepare(`DELETE FROM clusters WHERE name = 'c'`).run(), /FOREIGN KEY/);
  db.prepare(`DELETE FROM evaluations`).run();
  assert.equal(db.prepare(`SELECT count(*) FROM cluster_evaluations`).pluck().get(), 0);
  db.close();
});
