/** Failures opening or upgrading the database; the message says what the user can do. */
export type DatabaseErrorCode = 'open_failed' | 'newer_schema' | 'migration_failed' | 'not_wal' | 'locked';

export class DatabaseError extends Error {
  override readonly name = 'DatabaseError';
  constructor(
    readonly code: DatabaseErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** SQLITE_BUSY / SQLITE_LOCKED: another process holds the lock longer than the busy timeout. */
export function isDatabaseLocked(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** What the user reads when the database is locked: who may hold it and what to do. Nothing is reset. */
export function databaseLockedMessage(path?: string): string {
  return (
    `The database${path ? ` ${path}` : ''} is locked by another process (another SNCA Studio window, an \`snca\` command, ` +
    'or a tool such as a database browser holding a write lock). Close that program or wait until it finishes, then try again; ' +
    'nothing was changed and nothing was reset.'
  );
}
