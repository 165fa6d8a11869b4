/**
 * Schema version 12: two more levels of the metric_blocks roll-up, blocks of 256 and of 1024
 * points. A chart asks for about one bucket per pixel (a few hundred points of a long series
 * per bucket); with only 64 and 4096 it read blocks of 64, four to sixteen times more rows
 * than the coarsest level that still fits in a bucket. The new levels are built from the
 * blocks of 64 (every 4 or 16 consecutive ones), not from the metric rows; from then on the
 * repository keeps every level up to date as it inserts.
 */
import type { Db } from '../migrator.ts';

/** [points per new block, blocks of 64 per new block] */
const LEVELS = [
  [256, 4],
  [1024, 16],
] as const;

export function up(db: Db): void {
  // Of equal extremes the earliest step wins, as in the roll-up built from rows.
  const rollUp = db.prepare(`
    INSERT INTO metric_blocks
    SELECT run, key, CAST(@size AS INTEGER), b, sum(points),
      max(CASE WHEN rmin = 1 THEN min_value END), max(CASE WHEN rmin = 1 THEN min_step END), max(CASE WHEN rmin = 1 THEN min_epoch END), max(CASE WHEN rmin = 1 THEN min_wall END),
      max(CASE WHEN rmax = 1 THEN max_value END), max(CASE WHEN rmax = 1 THEN max_step END), max(CASE WHEN rmax = 1 THEN max_epoch END), max(CASE WHEN rmax = 1 THEN max_wall END)
    FROM (
      SELECT run, key, block / CAST(@ratio AS INTEGER) AS b, points, min_value, min_step, min_epoch, min_wall, max_value, max_step, max_epoch, max_wall,
        row_number() OVER (PARTITION BY run, key, block / CAST(@ratio AS INTEGER) ORDER BY min_value ASC, min_step ASC) AS rmin,
        row_number() OVER (PARTITION BY run, key, block / CAST(@ratio AS INTEGER) ORDER BY max_value DESC, max_step ASC) AS rmax
      FROM metric_blocks WHERE size = 64)
    GROUP BY run, key, b`);
  for (const [size, ratio] of LEVELS) rollUp.run({ size, ratio });
}
