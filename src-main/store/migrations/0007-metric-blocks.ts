/**
 * Schema version 7: metric_blocks, a roll-up of every series into blocks of 64 and of 4096
 * consecutive points (by step), each with its lowest and highest point (value, step, epoch,
 * wall time). Charts of long series are drawn from these instead of every row: 50 runs of
 * 100,000 points read 80,000 block rows instead of 5 million metric rows, and a spike is
 * still the highest point of its block. Kept up to date in the transactions that insert
 * metrics; existing series are rolled up here.
 */
import type { Db } from '../migrator.ts';

/** Points per block at each level (the repository keeps the same list). */
const BLOCK_SIZES = [64, 4096];

export function up(db: Db): void {
  db.exec(`
    CREATE TABLE metric_blocks (
      run       TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      key       TEXT NOT NULL,
      size      INTEGER NOT NULL,
      block     INTEGER NOT NULL,
      points    INTEGER NOT NULL,
      min_value REAL NOT NULL,
      min_step  INTEGER NOT NULL,
      min_epoch REAL NOT NULL,
      min_wall  REAL NOT NULL,
      max_value REAL NOT NULL,
      max_step  INTEGER NOT NULL,
      max_epoch REAL NOT NULL,
      max_wall  REAL NOT NULL,
      PRIMARY KEY (run, key, size, block)
    ) STRICT, WITHOUT ROWID;
  `);
  const backfill = db.prepare(`
    INSERT INTO metric_blocks
    SELECT run, key, CAST(@size AS INTEGER), block, count(*),
      max(CASE WHEN rmin = 1 THEN value END), max(CASE WHEN rmin = 1 THEN step END), max(CASE WHEN rmin = 1 THEN epoch END), max(CASE WHEN rmin = 1 THEN wall_time END),
      max(CASE WHEN rmax = 1 THEN value END), max(CASE WHEN rmax = 1 THEN step END), max(CASE WHEN rmax = 1 THEN epoch END), max(CASE WHEN rmax = 1 THEN wall_time END)
    FROM (
      SELECT run, key, step, epoch, value, wall_time, block,
        row_number() OVER (PARTITION BY run, key, block ORDER BY value ASC, step ASC) AS rmin,
        row_number() OVER (PARTITION BY run, key, block ORDER BY value DESC, step ASC) AS rmax
      FROM (
        SELECT run, key, step, epoch, value, wall_time,
          (row_number() OVER (PARTITION BY run, key ORDER BY step, rowid) - 1) / CAST(@size AS INTEGER) AS block
        FROM metrics))
    GROUP BY run, key, block`);
  for (const size of BLOCK_SIZES) backfill.run({ size });
}
