/**
 * Schema version 6: a change version on runs and evaluations. Every insert, and every update
 * of a column a client shows, gives the row the next number of one sequence per table
 * (max + 1, taken inside the writer's transaction, so it only grows, whichever process
 * writes). Clients keep the snapshot with the larger version, whatever the status order
 * (resume moves an ended run back to queued); the change watcher asks for rows with a
 * version above the last one it saw. Heartbeats and owner changes do not count as changes.
 */
import type { Db } from '../migrator.ts';

/** The runs columns a RunSummary shows. */
const RUN_SUMMARY_COLUMNS = [
  'name', 'preset', 'arch', 'dataset_kind', 'status', 'created_at', 'started_at', 'ended_at', 'error',
  'backend', 'device', 'epochs', 'epochs_done', 'queue_position', 'tags', 'notes',
];

/**
 * The version column of `table`, backfilled from `backfill`, its index, and the triggers that
 * give an inserted row, and a row changed by `updateWhen`, the next version.
 */
function versioned(table: string, backfill: string, updateWhen: string): string {
  const bump = `UPDATE ${table} SET version = (SELECT max(version) FROM ${table}) + 1 WHERE id = NEW.id;`;
  return `
    ALTER TABLE ${table} ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
    UPDATE ${table} SET version = ${backfill};
    CREATE INDEX ${table}_by_version ON ${table} (version);
    CREATE TRIGGER ${table}_version_on_insert AFTER INSERT ON ${table} BEGIN ${bump} END;
    CREATE TRIGGER ${table}_version_on_update AFTER ${updateWhen} BEGIN ${bump} END;`;
}

export function up(db: Db): void {
  db.exec(
    versioned('runs', 'rowid', `UPDATE OF ${RUN_SUMMARY_COLUMNS.join(', ')} ON runs`) +
      // any evaluation column a client sees; the trigger's own update of version does not count
      versioned('evaluations', 'id', 'UPDATE ON evaluations WHEN NEW.version = OLD.version'),
  );
}
