/**
 * Schema version 5: an evaluation can end `cancelled`. SQLite cannot change a CHECK
 * constraint in place, so the evaluations table is rebuilt with the wider status list and
 * its rows and indexes carried over (no other table references it).
 */
import type { Db } from '../migrator.ts';

export function up(db: Db): void {
  db.exec(`
    CREATE TABLE evaluations_v5 (
      id                INTEGER PRIMARY KEY,
      -- The run the checkpoint belongs to (NULL for a checkpoint file outside any run).
      run               TEXT REFERENCES runs (id) ON DELETE CASCADE,
      checkpoint_id     INTEGER REFERENCES checkpoints (id) ON DELETE SET NULL,
      checkpoint_path   TEXT NOT NULL,
      checkpoint_sha256 TEXT NOT NULL,
      checkpoint_epoch  INTEGER,
      -- The dataset spec as canonical JSON: part of the cache key.
      dataset           TEXT NOT NULL CHECK (json_valid(dataset)),
      k                 INTEGER NOT NULL CHECK (k >= 1),
      sigma             REAL NOT NULL CHECK (sigma > 0),
      recompute_memory  INTEGER NOT NULL CHECK (recompute_memory IN (0, 1)),
      status            TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),
      top1              REAL,
      top5              REAL,
      nn_top1           REAL,
      samples           INTEGER,
      -- [{class, name, correct, count}] and sparse confusion counts [[true, predicted, count], ...].
      per_class         TEXT CHECK (per_class IS NULL OR json_valid(per_class)),
      confusion         TEXT CHECK (confusion IS NULL OR json_valid(confusion)),
      wall_seconds      REAL,
      error             TEXT,
      backend           TEXT,
      created_at        TEXT NOT NULL,
      ended_at          TEXT,
      owner_pid         INTEGER,
      -- Per-sample results of a completed evaluation (runs/<id>/evaluations/<file>), relative to the data folder.
      samples_path      TEXT
    );
    INSERT INTO evaluations_v5 SELECT * FROM evaluations;
    DROP TABLE evaluations;
    ALTER TABLE evaluations_v5 RENAME TO evaluations;
    CREATE INDEX evaluations_by_run ON evaluations (run, id);
    CREATE UNIQUE INDEX evaluations_cache ON evaluations (checkpoint_sha256, dataset, k, sigma, recompute_memory)
      WHERE status = 'completed';
  `);
}
