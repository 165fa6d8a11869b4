import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { up as up0001 } from '../../../../src-main/store/migrations/0001-runs.ts';
import { up as up0002 } from '../../../../src-main/store/migrations/0002-queue-housekeeping-evaluations.ts';
import { up as up0003 } from '../../../../src-main/store/migrations/0003-metric-summary-evaluation-samples.ts';
import { up as up0004 } from '../../../../src-main/store/migrations/0004-clusters.ts';
import { up as up0005 } from '../../../../src-main/store/migrations/0005-evaluation-cancelled.ts';
import { up as up0006 } from '../../../../src-main/store/migrations/0006-change-versions.ts';
import { up as up0007 } from '../../../../src-main/store/migrations/0007-metric-blocks.ts';

test('0007 rolls existing series up into blocks of 64 and 4096 points, each with its lowest and highest point', () => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  for (const up of [up0001, up0002, up0003, up0004, up0005, up0006]) up(db);
  db.prepare(`INSERT INTO runs (id, name, preset, arch, dataset_kind, config, status, created_at, epochs) VALUES ('r', 'n', 'p', 'a', 'mnist', '{}', 'completed', 'x', 3)`).run();
  const ins = db.prepare('INSERT INTO metrics (run, key, step, epoch, value, wall_time) VALUES (?, ?, ?, ?, ?, ?)');
  // Inserted out of step order: blocks follow step order.
  for (let i = 199; i >= 0; i--) ins.run('r', 'loss', i, i / 10, i === 150 ? 99 : i === 70 ? -5 : i % 10, 1000 + i);
  ins.run('r', 'lr', 0, 0, 0.1, 1000);
  up0007(db);
  const rows = db.prepare(`SELECT key, size, block, points, min_value, min_step, max_value, max_step, max_epoch, max_wall FROM metric_blocks WHERE size = 64 ORDER BY key, block`).all();
  assert.deepEqual(rows, [
    { key: 'loss', size: 64, block: 0, points: 64, min_value: 0, min_step: 0, max_value: 9, max_step: 9, max_epoch: 0.9, max_wall: 1009 },
    { key: 'loss', size: 64, block: 1, points: 64, min_value: -5, min_step: 70, max_value: 9, max_step: 69, max_epoch: 6.9, max_wall: 1069 },
    { key: 'loss', size: 64, block: 2, points: 64, min_value: 0, min_step: 130, max_value: 99, max_step: 150, max_epoch: 15, max_wall: 1150 },
    { key: 'loss', size: 64, block: 3, points: 8, min_value: 2, min_step: 192, max_value: 9, max_step: 199, max_epoch: 19.9, max_wall: 1199 },
    { key: 'lr', size: 64, block: 0, points: 1, min_value: 0.1, min_step: 0, max_value: 0.1, max_step: 0, max_epoch: 0, max_wall: 1000 },
  ]);
  assert.deepEqual(db.prepare(`SELECT key, points, min_value, max_value FROM metric_blocks WHERE size = 4096 ORDER BY key`).all(), [
    { key: 'loss', points: 200, min_value: -5, max_value: 99 },
    { key: 'lr', points: 1, min_value: 0.1, max_value: 0.1 },
  ]);
  db.prepare(`DELETE FROM runs WHERE id = 'r'`).run();
  assert.equal(db.prepare('SELECT count(*) FROM metric_blocks').pluck().get(), 0, 'deleted with the run');
});
