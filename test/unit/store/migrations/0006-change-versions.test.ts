import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { up as up0001 } from '../../../../src-main/store/migrations/0001-runs.ts';
import { up as up0002 } from '../../../../src-main/store/migrations/0002-queue-housekeeping-evaluations.ts';
import { up as up0003 } from '../../../../src-main/store/migrations/0003-metric-summary-evaluation-samples.ts';
import { up as up0004 } from '../../../../src-main/store/migrations/0004-clusters.ts';
import { up as up0005 } from '../../../../src-main/store/migrations/0005-evaluation-cancelled.ts';
import { up as up0006 } from '../../../../src-main/store/migrations/0006-change-versions.ts';

function v5(): Database.Database {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  up0001(db);
  up0002(db);
  up0003(db);
  up0004(db);
  up0005(db);
  return db;
}

const insertRun = (db: Database.Database, id: string) =>
  db.prepare(`INSERT INTO runs (id, name, preset, arch, dataset_kind, config, status, created_at, epochs) VALUES (?, 'n', 'p', 'a', 'mnist', '{}', 'queued', 'x', 3)`).run(id);
const versionOf = (db: Database.Database, table: string, id: string | number) => db.prepare(`SELECT version FROM ${table} WHERE id = ?`).pluck().get(id) as number;

test('0006 numbers existing runs and evaluations, and every insert or shown change takes the next version', () => {
  const db = v5();
  insertRun(db, 'old1');
  insertRun(db, 'old2');
  up0006(db);
  assert.deepEqual([versionOf(db, 'runs', 'old1'), versionOf(db, 'runs', 'old2')], [1, 2], 'backfilled from rowid');
  insertRun(db, 'new');
  assert.equal(versionOf(db, 'runs', 'new'), 3);
  db.prepare(`UPDATE runs SET status = 'running' WHERE id = 'old1'`).run();
  assert.equal(versionOf(db, 'runs', 'old1'), 4, 'a status change');
  db.prepare(`UPDATE runs SET status = 'queued', ended_at = NULL WHERE id = 'old1'`).run();
  assert.equal(versionOf(db, 'runs', 'old1'), 5, 'moving back in status order still raises the version');
  db.prepare(`UPDATE runs SET heartbeat_at = 99, owner_pid = 7 WHERE id = 'old1'`).run();
  assert.equal(versionOf(db, 'runs', 'old1'), 5, 'heartbeats and owners are not changes a client shows');
  db.prepare(`UPDATE runs SET queue_position = 2 WHERE id IN ('old2', 'new')`).run();
  assert.deepEqual([versionOf(db, 'runs', 'old2'), versionOf(db, 'runs', 'new')].sort(), [6, 7], 'each row of one statement gets its own version');
  assert.deepEqual((db.prepare('PRAGMA index_list(runs)').all() as { name: string }[]).map((i) => i.name).filter((n) => n === 'runs_by_version'), ['runs_by_version']);

  const insertEval = db.prepare(`INSERT INTO evaluations (run, checkpoint_path, checkpoint_sha256, dataset, k, sigma, recompute_memory, status, created_at)
    VALUES ('new', 'p', 's', '{}', 30, 0.1, 0, 'running', 'x')`);
  const e1 = Number(insertEval.run().lastInsertRowid);
  const e2 = Number(insertEval.run().lastInsertRowid);
  assert.deepEqual([versionOf(db, 'evaluations', e1), versionOf(db, 'evaluations', e2)], [1, 2]);
  db.prepare(`UPDATE evaluations SET status = 'completed', top1 = 0.5 WHERE id = ?`).run(e1);
  assert.equal(versionOf(db, 'evaluations', e1), 3);
  db.close();
});
