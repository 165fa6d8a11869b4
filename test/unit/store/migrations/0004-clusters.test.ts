import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../../../src-main/store/migrations/index.ts';
import { up as up0004 } from '../../../../src-main/store/migrations/0004-clusters.ts';

test('0004 adds STRICT clusters and cluster_runs tables; a cluster run goes with its run, a used cluster stays', () => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  for (const m of MIGRATIONS.slice(0, 3)) m.up(db);
  db.prepare(`INSERT INTO runs (id, name, preset, arch, dataset_kind, config, status, created_at, epochs)
    VALUES ('r', 'n', 'p', 'a', 'mnist', '{}', 'queued', 'x', 1)`).run();
  up0004(db);
  for (const t of ['clusters', 'cluster_runs', 'cluster_checkpoint_steps']) {
    assert.match(db.prepare(`SELECT sql FROM sqlite_master WHERE name = ?`).pluck().get(t) as string, /STRICT/, t);
  }
  db.prepare(`INSERT INTO clusters VALUES ('c', '{"kind":"local"}', '/w', '{}', 0, 'x')`).run();
  assert.throws(() => db.prepare(`INSERT INTO clusters VALUES ('d', 'not json', '/w', '{}', 0, 'x')`).run(), /CHECK constraint/);
  db.prepare(`INSERT INTO cluster_runs (run, cluster, run_dir, resources) VALUES ('r', 'c', '/w/runs/r', '{}')`).run();
  assert.throws(() => db.prepare(`INSERT INTO cluster_runs (run, cluster, run_dir, resources) VALUES ('r2', 'nope', '/w', '{}')`).run(), /FOREIGN KEY/);
  assert.throws(() => db.prepare(`DELETE FROM clusters WHERE name = 'c'`).run(), /FOREIGN KEY/);
  assert.equal(db.prepare(`SELECT log_offset FROM cluster_runs`).pluck().get(), 0);
  db.prepare(`DELETE FROM runs`).run();
  assert.equal(db.prepare(`SELECT count(*) FROM cluster_runs`).pluck().get(), 0);
  db.close();
});
