/**
 * Schema version 9: a cluster run's own limit of automatic resubmissions (NULL: its cluster's
 * setting), and evaluations that run on a cluster as a Slurm job — the job, its folder on the
 * shared filesystem (holding the job file and the result the node writes) and Slurm's state.
 */
import type { Db } from '../migrator.ts';

export function up(db: Db): void {
  db.exec(`
    ALTER TABLE cluster_runs ADD COLUMN auto_resubmit INTEGER CHECK (auto_resubmit IS NULL OR auto_resubmit >= 0);

    CREATE TABLE cluster_evaluations (
      evaluation     INTEGER PRIMARY KEY REFERENCES evaluations (id) ON DELETE CASCADE,
      cluster        TEXT NOT NULL REFERENCES clusters (name),
      job_dir        TEXT NOT NULL,
      job_id         INTEGER,
      slurm_state    TEXT,
      submitted_at   TEXT
    ) STRICT;
    CREATE INDEX cluster_evaluations_by_cluster ON cluster_evaluations (cluster, job_id);
  `);
}
