/**
 * Opens the SQLite file shared by the GUI, serve mode and the CLI: WAL so readers never
 * block the writer, a busy timeout so two processes wait for each other instead of
 * failing, foreign keys on, and the schema migrated to this build's version.
 */
import Database from 'better-sqlite3';
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseError, databaseLockedMessage, isDatabaseLocked } from './database-error.ts';
import { MIGRATIONS } from './migrations/index.ts';
import { migrate, refuseNewerSchema, type Db, type Migration } from './migrator.ts';

export type { Db } from './migrator.ts';

export interface OpenDatabaseOptions {
  /** How long a writer waits for another process's lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /** Only tests pass their own list. */
  migrations?: readonly Migration[];
  /**
   * A better-sqlite3 addon file to load instead of the one in node_modules: the Electron app
   * passes its Electron-ABI build this way while tests, the CLI and serve mode use Node's.
   */
  nativeBinding?: string;
}

export const IN_MEMORY = ':memory:';

/** The database and its WAL/SHM files are the owner's only (SQLite gives those the database file's mode). */
export const DATABASE_FILE_MODE = 0o600;

/** Creates the database file 0600 before SQLite opens it, and tightens one an older version made 0644. */
function restrictToOwner(path: string): void {
  closeSync(openSync(path, 'a', DATABASE_FILE_MODE));
  if (process.platform === 'win32') return;
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, DATABASE_FILE_MODE);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Db {
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (path !== IN_MEMORY) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    try {
      restrictToOwner(path);
    } catch (err) {
      throw new DatabaseError('open_failed', `Could not open the database ${path}: ${messageOf(err)}`, { cause: err });
    }
  }
  let db: Db;
  try {
    db = new Database(path, { timeout: busyTimeoutMs, ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}) });
  } catch (err) {
    throw new DatabaseError('open_failed', `Could not open the database ${path}: ${messageOf(err)}`, { cause: err });
  }
  const migrations = options.migrations ?? MIGRATIONS;
  try {
    // Refuse a newer schema before touching anything (even the journal mode lives in the file header).
    refuseNewerSchema(db, migrations.length);
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    const mode = String(db.pragma('journal_mode = WAL', { simple: true }));
    if (path !== IN_MEMORY && mode.toLowerCase() !== 'wal') {
      throw new DatabaseError('not_wal', `The database ${path} could not be switched to WAL mode (got ${mode}); is it on a network drive?`);
    }
    // NORMAL is durable across application crashes in WAL mode; only a power cut may lose the last commit.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, migrations);
    return db;
  } catch (err) {
    db.close();
    if (err instanceof DatabaseError) throw err;
    if (isDatabaseLocked(err)) throw new DatabaseError('locked', databaseLockedMessage(path), { cause: err });
    // "file is not a database" and friends: say which file, and that nothing was changed.
    throw new DatabaseError(
      'open_failed',
      `Could not open the database ${path}: ${messageOf(err)}. The file was not modified; move it aside to start with an empty one.`,
      { cause: err },
    );
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
