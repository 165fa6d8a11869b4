import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { up as up0001 } from '../../../../src-main/store/migrations/0001-runs.ts';
import { up as up0002 } from '../../../../src-main/store/migrations/0002-queue-housekeeping-evaluations.ts';
import { up as up0003 } from '../../../../src-main/store/migrations/0003-metric-summary-evaluation-samples.ts';

function v2WithMetrics(): Database.Database {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  up0001(db);
  up0002(db);
  db.prepare(`INSERT INTO runs (id, name, preset, arch, dataset_kind, config, status, created_at, epochs)
    VALUES ('r', 'n', 'p', 'a', 'mnist', '{}', 'completed', 'x', 3)`).run();
  const m = db.prepare(`INSERT INTO metrics (run, key, step, epoch, value, wall_time) VALUES ('r', ?, ?, ?, ?, 0)`);
  // knn_top1 reaches its maximum 0.9 first at step 20 (again at 40); its minimum 0.5 at step 10; last is step 50.
  for (const [step, value] of [[10, 0.5], [20, 0.9], [30, 0.7], [40, 0.9], [50, 0.8]] as const) m.run('knn_top1', step, step / 10, value);
  m.run('loss', 5, 0.5, 2.5);
  return db;
}

test('0003 creates a STRICT metric_summary backfilled from existing metrics, and evaluations.samples_path', () => {
  const db = v2WithMetrics();
  up0003(db);
  const rows = db.prepare('SELECT * FROM metric_summary ORDER BY key').all();
  assert.deepEqual(rows, [
    { run: 'r', key: 'knn_top1', min_value: 0.5, min_step: 10, min_epoch: 1, max_value: 0.9, max_step: 20, max_epoch: 2, last_value: 0.8, last_step: 50, last_epoch: 5, points: 5 },
    { run: 'r', key: 'loss', min_value: 2.5, min_step: 5, min_epoch: 0.5, max_value: 2.5, max_step: 5, max_epoch: 0.5, last_value: 2.5, last_step: 5, last_epoch: 0.5, points: 1 },
  ]);
  const sql = db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'metric_summary'`).pluck().get() as string;
  assert.match(sql, /STRICT/);
  assert.throws(() => db.prepare(`INSERT INTO metric_summary VALUES ('r', 'z', 'text', 1, 1, 1, 1, 1, 1, 1, 1, 1)`).run(), /cannot store TEXT value in REAL column/);
  const indexes = (db.prepare('PRAGMA index_list(metric_summary)').all() as { name: string }[]).map((i) => i.name).sort();
  assert.deepEqual(indexes.filter((n) => n.startsWith('metric_summary_by')), ['metric_summary_by_key_last', 'metric_summary_by_key_max', 'metric_summary_by_key_min']);
  const cols = (db.prepare('PRAGMA table_info(evaluations)').all() as { name: string }[]).map((c) => c.name);
  assert.equal(cols.at(-1), 'samples_path');
  db.prepare(`DELETE FROM runs`).run();
  assert.equal(db.prepare('SELECT count(*) FROM metric_summary').pluck().get(), 0, 'summaries cascade with their run');
  db.close();
});
