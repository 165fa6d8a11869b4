/**
 * Schema migrations: one numbered module per version, each applied in its own IMMEDIATE
 * transaction together with the new PRAGMA user_version, so a crash never leaves a
 * half-applied version. A database newer than this build is refused, never reset.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { DatabaseError, databaseLockedMessage, isDatabaseLocked } from './database-error.ts';

export type Db = BetterSqlite3.Database;

export interface Migration {
  version: number;
  name: string;
  up(db: Db): void;
}

export interface MigrationReport {
  from: number;
  to: number;
  applied: string[];
}

export function schemaVersion(db: Db): number {
  return Number(db.pragma('user_version', { simple: true }));
}

function checkSequence(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(`Migration list is broken: entry ${i} (${m.name}) has version ${m.version}, expected ${i + 1}`);
    }
  });
}

function newerSchemaError(db: Db, found: number, latest: number): DatabaseError {
  return new DatabaseError(
    'newer_schema',
    `The database ${db.name} has schema version ${found}, but this version of SNCA Studio only knows versions up to ${latest}. ` +
      'It was written by a newer SNCA Studio: update the app (the database was left untouched).',
  );
}

/** Throws when the file was written by a newer build than one knowing `latest` versions. */
export function refuseNewerSchema(db: Db, latest: number): void {
  const found = schemaVersion(db);
  if (found > latest) throw newerSchemaError(db, found, latest);
}

export function migrate(db: Db, migrations: readonly Migration[]): MigrationReport {
  checkSequence(migrations);
  const latest = migrations.length;
  const from = schemaVersion(db);
  const refuseNewer = (found: number) => newerSchemaError(db, found, latest);
  if (from > latest) throw refuseNewer(from);

  const applied: string[] = [];
  for (const m of migrations) {
    if (m.version <= from) continue;
    const apply = db.transaction(() => {
      // Re-read inside the write lock: another process (GUI and CLI share the file) may have migrated meanwhile.
      const current = schemaVersion(db);
      if (current > latest) throw refuseNewer(current);
      if (current >= m.version) return false;
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
      return true;
    });
    try {
      if (apply.immediate()) applied.push(m.name);
    } catch (err) {
      if (err instanceof DatabaseError) throw err;
      if (isDatabaseLocked(err)) throw new DatabaseError('locked', databaseLockedMessage(db.name), { cause: err });
      const reason = err instanceof Error ? err.message : String(err);
      throw new DatabaseError(
        'migration_failed',
        `Upgrading the database ${db.name} to schema version ${m.version} (${m.name}) failed: ${reason}. Nothing of this step was applied.`,
        { cause: err },
      );
    }
  }
  return { from, to: schemaVersion(db), applied };
}
