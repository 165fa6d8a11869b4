import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../../../src-main/store/migrations/index.ts';
import { up as up0012 } from '../../../../src-main/store/migrations/0012-metric-block-levels.ts';

test('0012 adds blocks of 256 and 1024 points built from the blocks of 64: the same extremes as rolled up from the rows', () => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  for (const m of MIGRATIONS.slice(0, 6)) m.up(db);
  db.prepare(`INSERT INTO runs (id, name, preset, arch, dataset_kind, config, status, created_at, epochs) VALUES ('r', 'n', 'p', 'a', 'mnist', '{}', 'completed', 'x', 3)`).run();
  const ins = db.prepare('INSERT INTO metrics (run, key, step, epoch, value, wall_time) VALUES (?, ?, ?, ?, ?, ?)');
  // 3,000 points out of step order, a spike at 1,500, a dip at 2,999 and a repeated low value (earliest step wins).
  for (let i = 2999; i >= 0; i--) ins.run('r', 'loss', i, i / 100, i === 1500 ? 99 : i === 2999 ? -5 : i % 300 === 7 ? -1 : Math.sin(i), 1000 + i);
  ins.run('r', 'lr', 0, 0, 0.1, 1000);
  // 0007 rolls the rows up into blocks of 64 (and 4096); the reference below rolls them up at any size.
  for (const m of MIGRATIONS.slice(6, 11)) m.up(db);
  const fromRows = (size: number) => db.prepare(`SELECT key, block, points, min_value, min_step, min_epoch, min_wall, max_value, max_step, max_epoch, max_wall
    FROM (SELECT run, key, block, count(*) AS points,
      max(CASE WHEN rmin = 1 THEN value END) AS min_value, max(CASE WHEN rmin = 1 THEN step END) AS min_step, max(CASE WHEN rmin = 1 THEN epoch END) AS min_epoch, max(CASE WHEN rmin = 1 THEN wall_time END) AS min_wall,
      max(CASE WHEN rmax = 1 THEN value END) AS max_value, max(CASE WHEN rmax = 1 THEN step END) AS max_step, max(CASE WHEN rmax = 1 THEN epoch END) AS max_epoch, max(CASE WHEN rmax = 1 THEN wall_time END) AS max_wall
      FROM (SELECT *, row_number() OVER (PARTITION BY key, block ORDER BY value ASC, step ASC) AS rmin, row_number() OVER (PARTITION BY key, block ORDER BY value DESC, step ASC) AS rmax
        FROM (SELECT *, (row_number() OVER (PARTITION BY key ORDER BY step) - 1) / ${size} AS block FROM metrics))
      GROUP BY key, block) ORDER BY key, block`).all();
  const stored = (size: number) => db.prepare(`SELECT key, block, points, min_value, min_step, min_epoch, min_wall, max_value, max_step, max_epoch, max_wall
    FROM metric_blocks WHERE size = ? ORDER BY key, block`).all(size);
  up0012(db);
  for (const size of [256, 1024]) assert.deepEqual(stored(size), fromRows(size), `blocks of ${size}`);
  assert.equal(stored(256).length, 12 + 1);
  const big = stored(1024) as { key: string; min_value: number; min_step: number; max_value: number; max_step: number }[];
  assert.deepEqual(big.map((b) => [b.key, b.min_value, b.min_step]), [['loss', -1, 7], ['loss', -1, 1207], ['loss', -5, 2999], ['lr', 0.1, 0]]);
  assert.deepEqual([big[1]!.max_value, big[1]!.max_step], [99, 1500], 'the spike is the highest point of its block');
  db.prepare(`DELETE FROM runs WHERE id = 'r'`).run();
  assert.equal(db.prepare('SELECT count(*) FROM metric_blocks').pluck().get(), 0, 'deleted with the run');
  db.close();
});
