/**
 * Schema version 13: the evaluation cache key gains the state of the dataset's files.
 * An image folder is read from disk at every evaluation, so an evaluation made before
 * images or classes were added, removed or moved is not the answer for the folder as it is
 * now; `dataset_state` holds the folder's fingerprint (image-folder-fingerprint.ts; '' for
 * datasets whose content cannot change under the same spec). The old row stays completed,
 * as the record of what the folder gave then; a new state gets its own row.
 */
import type { Db } from '../migrator.ts';

export function up(db: Db): void {
  db.exec(`
    ALTER TABLE evaluations ADD COLUMN dataset_state TEXT NOT NULL DEFAULT '';
    DROP INDEX evaluations_cache;
    CREATE UNIQUE INDEX evaluations_cache ON evaluations (checkpoint_sha256, dataset, dataset_state, k, sigma, recompute_memory)
      WHERE status = 'completed';
  `);
}
