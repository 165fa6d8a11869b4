/**
 * Schema version 4: registered clusters, and the cluster side of runs submitted to one —
 * the Slurm job (and array task) running it, its folder on the shared filesystem, the byte
 * offset up to which its event log has been ingested, how often it was resubmitted, and the
 * training step of each checkpoint it wrote.
 */
import type { Db } from '../migrator.ts';

export function up(db: Db): void {
  db.exec(`
    CREATE TABLE clusters (
      name           TEXT PRIMARY KEY,
      route          TEXT NOT NULL CHECK (json_valid(route)),
      work_dir       TEXT NOT NULL,
      defaults       TEXT NOT NULL CHECK (json_valid(defaults)),
      auto_resubmit  INTEGER NOT NULL DEFAULT 0,
      created_at     TEXT NOT NULL
    ) STRICT;

    CREATE TABLE cluster_runs (
      run            TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
      cluster        TEXT NOT NULL REFERENCES clusters (name),
      run_dir        TEXT NOT NULL,
      resources      TEXT NOT NULL CHECK (json_valid(resources)),
      sweep          TEXT,
      job_id         INTEGER,
      array_task     INTEGER,
      script_path    TEXT,
      slurm_state    TEXT,
      log_offset     INTEGER NOT NULL DEFAULT 0,
      resubmits      INTEGER NOT NULL DEFAULT 0,
      submitted_at   TEXT
    ) STRICT;
    CREATE INDEX cluster_runs_by_cluster ON cluster_runs (cluster, job_id);

    -- The training step a cluster checkpoint was written at (the last metric step before it in
    -- the event log): a resume deletes the metric rows after it, as for a local run.
    CREATE TABLE cluster_checkpoint_steps (
      checkpoint     INTEGER PRIMARY KEY REFERENCES checkpoints (id) ON DELETE CASCADE,
      step           INTEGER NOT NULL
    ) STRICT;
  `);
}
