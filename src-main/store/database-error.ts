/** Failures opening or upgrading the database; the message says what the user can do. */
export type DatabaseErrorCode = 'open_failed' | 'newer_schema' | 'migration_failed' | 'not_wal';

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
