/**
 * Schema version 11: an evaluation may be of an imported model rather than a checkpoint of
 * ours. `model` names it (the evaluation goes when the model is removed); such a row keeps
 * the model's weights file as checkpoint_path and the imported file's sha256 as
 * checkpoint_sha256, so the cache key (sha256, dataset, K, sigma, recompute) covers it.
 */
import type { Db } from '../migrator.ts';

export function up(db: Db): void {
  db.exec(`
    ALTER TABLE evaluations ADD COLUMN model TEXT REFERENCES models (id) ON DELETE CASCADE;
    CREATE INDEX evaluations_by_model ON evaluations (model, id) WHERE model IS NOT NULL;
  `);
}
