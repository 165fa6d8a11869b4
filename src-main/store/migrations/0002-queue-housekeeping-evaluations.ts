/**
 * Schema version 2: the queue order of queued runs, run housekeeping (tags, notes), and
 * checkpoint evaluations (weighted kNN on a dataset's val split, cached by checkpoint
 * sha256 + dataset + K + sigma + recompute).
 */
import type { Db } from '../migrator.ts';

export function up(db: Db): void {
  db.exec(`
    -- Order in which queued runs start (smaller first); NULL once a run has left the queue.
    ALTER TABLE runs ADD COLUMN queue_position INTEGER;
    ALTER TABLE runs ADD COLUMN tags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags));
    ALTER TABLE runs ADD COLUMN notes TEXT NOT NULL DEFAULT '';
    UPDATE runs SET queue_position = (
      SELECT count(*) FROM runs AS q WHERE q.status = 'queued' AND (q.created_at, q.id) <= (runs.created_at, runs.id)
    ) WHERE status = 'queued';
    CREATE INDEX runs_by_queue_position ON runs (queue_position) WHERE queue_position IS NOT NULL;

    CREATE TABLE evaluations (
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
      status            TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
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
      owner_pid         INTEGER
    );
    CREATE INDEX evaluations_by_run ON evaluations (run, id);
    CREATE UNIQUE INDEX evaluations_cache ON evaluations (checkpoint_sha256, dataset, k, sigma, recompute_memory)
      WHERE status = 'completed';
  `);
}
