import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { CONFIG_FIELDS } from '../../../../shared/run-query-fields.ts';
import { MIGRATIONS } from '../../../../src-main/store/migrations/index.ts';
import { RUN_CONFIG_FIELD_COLUMNS, up as up0010 } from '../../../../src-main/store/migrations/0010-run-table-side-tables.ts';

const insertRun = (db: Database.Database, id: string, config: unknown, tags: unknown) =>
  db
    .prepare(`INSERT INTO runs (id, name, preset, arch, dataset_kind, config, status, created_at, epochs, tags) VALUES (?, 'n', 'p', 'a', 'mnist', ?, 'queued', 'x', 1, ?)`)
    .run(id, JSON.stringify(config), JSON.stringify(tags));

test('0010 fills run_config_fields and run_tags from existing runs and keeps them with every insert, config or tags change and delete', () => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  for (const m of MIGRATIONS.slice(0, 9)) m.up(db);
  insertRun(db, 'old', { lr: 0.1, nesterov: true, eval: { monitor: 'knn_top1', k: 200 }, dataset: { kind: 'mnist' } }, ['Baseline', 'x', 3]);
  up0010(db);
  insertRun(db, 'new', { lr: 1, seed: 7, lrSchedule: { gamma: 0.5 } }, ['baseline', 'BASELINE']);
  // Each column holds exactly what json_extract gives (type included), for every field.
  for (const id of ['old', 'new']) {
    const row = db.prepare('SELECT * FROM run_config_fields WHERE run = ?').get(id) as Record<string, unknown>;
    for (const path of RUN_CONFIG_FIELD_COLUMNS) {
      const expected = db.prepare(`SELECT json_extract(config, ?) FROM runs WHERE id = ?`).pluck().get(`$.${path}`, id);
      assert.deepEqual([path, row[path]], [path, expected]);
    }
  }
  assert.equal(db.prepare(`SELECT typeof("lr") FROM run_config_fields WHERE run = 'new'`).pluck().get(), 'integer');
  assert.deepEqual(db.prepare(`SELECT run, tag FROM run_tags ORDER BY run, tag`).raw().all(), [['new', 'baseline'], ['old', 'Baseline'], ['old', 'x']]);
  assert.deepEqual(db.prepare(`SELECT run FROM run_tags WHERE tag = 'BASELINE' ORDER BY run`).pluck().all(), ['new', 'old'], 'tags match without case');

  db.prepare(`UPDATE runs SET tags = '["y"]', config = '{"lr": 0.5}' WHERE id = 'old'`).run();
  assert.deepEqual(db.prepare(`SELECT tag FROM run_tags WHERE run = 'old'`).pluck().all(), ['y']);
  assert.equal(db.prepare(`SELECT "lr" FROM run_config_fields WHERE run = 'old'`).pluck().get(), 0.5);
  db.prepare(`DELETE FROM runs WHERE id = 'old'`).run();
  assert.deepEqual(db.prepare(`SELECT run FROM run_config_fields UNION ALL SELECT run FROM run_tags`).pluck().all(), ['new', 'new']);
  assert.match(db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'run_config_fields'`).pluck().get() as string, /STRICT/);
  db.close();
});

test('every config field of the query language has a column', () => {
  assert.deepEqual([...RUN_CONFIG_FIELD_COLUMNS].sort(), Object.keys(CONFIG_FIELDS).sort());
});
