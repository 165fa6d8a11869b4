/**
 * Schema version 1: runs, their metric series, checkpoints and log lines.
 * Times a human reads (created/started/ended) are ISO-8601 UTC text; times the code
 * compares or plots (heartbeats, metric and log wall times) are Unix milliseconds.
 */
import type { Db } from '../migrator.ts';

export function up(db: Db): void {
  db.exec(`
    CREATE TABLE runs (
      id                  TEXT PRIMARY KEY,
      name                TEXT NOT NULL,
      preset              TEXT NOT NULL,
      arch                TEXT NOT NULL,
      dataset_kind        TEXT NOT NULL,
      config              TEXT NOT NULL CHECK (json_valid(config)),
      status              TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted')),
      created_at          TEXT NOT NULL,
      started_at          TEXT,
      ended_at            TEXT,
      error               TEXT,
      backend             TEXT,
      device              TEXT,
      epochs              INTEGER NOT NULL,
      epochs_done         INTEGER NOT NULL DEFAULT 0,
      -- The process that will train (queued) or trains (running) the run, and its last sign of life.
      owner_pid           INTEGER,
      heartbeat_at        INTEGER,
      -- Set by another process asking the owner to cancel; the owner polls it with its heartbeat.
      cancel_requested_at INTEGER
    );
    CREATE INDEX runs_by_created ON runs (created_at DESC, id DESC);
    CREATE INDEX runs_by_status ON runs (status);

    CREATE TABLE metrics (
      run       TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      key       TEXT NOT NULL,
      step      INTEGER NOT NULL,
      epoch     REAL NOT NULL,
      value     REAL NOT NULL,
      wall_time REAL NOT NULL
    );
    CREATE INDEX metrics_by_run_key_step ON metrics (run, key, step);

    -- Last value of each series, kept in the same transaction as the inserts so that listing
    -- runs never scans the (possibly millions of) metric rows.
    CREATE TABLE metric_last (
      run   TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      key   TEXT NOT NULL,
      step  INTEGER NOT NULL,
      value REAL NOT NULL,
      PRIMARY KEY (run, key)
    ) WITHOUT ROWID;

    CREATE TABLE checkpoints (
      id         INTEGER PRIMARY KEY,
      run        TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      epoch      INTEGER NOT NULL,
      kind       TEXT NOT NULL CHECK (kind IN ('latest', 'best', 'epoch')),
      path       TEXT NOT NULL,
      metrics    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metrics)),
      sha256     TEXT NOT NULL,
      bytes      INTEGER NOT NULL,
      created_at TEXT NOT NULL
    );
    CREATE INDEX checkpoints_by_run ON checkpoints (run, epoch);

    CREATE TABLE run_logs (
      id        INTEGER PRIMARY KEY,
      run       TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      level     TEXT NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
      message   TEXT NOT NULL,
      wall_time REAL NOT NULL
    );
    CREATE INDEX run_logs_by_run ON run_logs (run, id);
  `);
}
