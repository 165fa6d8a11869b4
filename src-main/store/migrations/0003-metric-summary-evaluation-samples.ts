/**
 * Schema version 3: the summary of every metric series (best in both directions with the
 * step and epoch reaching it first, and the last value with its epoch), kept in the same
 * transaction as the metric inserts so that querying and sorting 5,000 runs by "best kNN
 * top-1" never scans metric rows; and the per-sample results file of an evaluation.
 */
import type { Db } from '../migrator.ts';

export function up(db: Db): void {
  db.exec(`
    CREATE TABLE metric_summary (
      run        TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      key        TEXT NOT NULL,
      min_value  REAL NOT NULL,
      min_step   INTEGER NOT NULL,
      min_epoch  REAL NOT NULL,
      max_value  REAL NOT NULL,
      max_step   INTEGER NOT NULL,
      max_epoch  REAL NOT NULL,
      last_value REAL NOT NULL,
      last_step  INTEGER NOT NULL,
      last_epoch REAL NOT NULL,
      points     INTEGER NOT NULL,
      PRIMARY KEY (run, key)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX metric_summary_by_key_max ON metric_summary (key, max_value);
    CREATE INDEX metric_summary_by_key_min ON metric_summary (key, min_value);
    CREATE INDEX metric_summary_by_key_last ON metric_summary (key, last_value);

    INSERT INTO metric_summary
      SELECT run, key,
        max(CASE WHEN rmin = 1 THEN value END), max(CASE WHEN rmin = 1 THEN step END), max(CASE WHEN rmin = 1 THEN epoch END),
        max(CASE WHEN rmax = 1 THEN value END), max(CASE WHEN rmax = 1 THEN step END), max(CASE WHEN rmax = 1 THEN epoch END),
        max(CASE WHEN rlast = 1 THEN value END), max(CASE WHEN rlast = 1 THEN step END), max(CASE WHEN rlast = 1 THEN epoch END),
        count(*)
      FROM (
        SELECT run, key, step, epoch, value,
          row_number() OVER (PARTITION BY run, key ORDER BY value ASC, step ASC, rowid ASC) AS rmin,
          row_number() OVER (PARTITION BY run, key ORDER BY value DESC, step ASC, rowid ASC) AS rmax,
          row_number() OVER (PARTITION BY run, key ORDER BY step DESC, rowid DESC) AS rlast
        FROM metrics)
      GROUP BY run, key;

    -- Per-sample results of a completed evaluation (runs/<id>/evaluations/<file>), relative to the data folder.
    ALTER TABLE evaluations ADD COLUMN samples_path TEXT;
  `);
}
