/** Log lines of runs, read with an id cursor so clients can tail them. */
import { LOG_LEVELS, type LogEntry } from '../../shared/domain.ts';
import type { Db } from './migrator.ts';

export type LogLevel = (typeof LOG_LEVELS)[number];

export interface NewLogLine {
  level: LogLevel;
  message: string;
  /** Unix ms. */
  wallTime: number;
}

interface LogRow {
  id: number;
  run: string;
  level: string;
  message: string;
  wall_time: number;
}

function toEntry(row: LogRow): LogEntry {
  const level = (LOG_LEVELS as readonly string[]).includes(row.level) ? (row.level as LogLevel) : 'info';
  return { id: row.id, runId: row.run, level, message: row.message, wallTime: row.wall_time };
}

export class LogsRepository {
  private readonly insertStmt;
  private readonly afterStmt;
  private readonly afterAllStmt;
  private readonly maxIdStmt;
  private readonly insertMany;

  constructor(db: Db) {
    this.insertStmt = db.prepare('INSERT INTO run_logs (run, level, message, wall_time) VALUES (?, ?, ?, ?)');
    this.afterStmt = db.prepare('SELECT id, run, level, message, wall_time FROM run_logs WHERE run = ? AND id > ? ORDER BY id LIMIT ?');
    this.afterAllStmt = db.prepare('SELECT id, run, level, message, wall_time FROM run_logs WHERE id > ? ORDER BY id LIMIT ?');
    this.maxIdStmt = db.prepare('SELECT coalesce(max(id), 0) FROM run_logs').pluck();
    this.insertMany = db.transaction((runId: string, lines: readonly NewLogLine[]): LogEntry[] =>
      lines.map((l) => {
        const id = Number(this.insertStmt.run(runId, l.level, l.message, l.wallTime).lastInsertRowid);
        return { id, runId, level: l.level, message: l.message, wallTime: l.wallTime };
      }),
    );
  }

  /** Appends lines in one transaction; returns them with their ids (for events). */
  append(runId: string, lines: readonly NewLogLine[]): LogEntry[] {
    return lines.length > 0 ? this.insertMany(runId, lines) : [];
  }

  after(runId: string, afterId: number, limit: number): LogEntry[] {
    return (this.afterStmt.all(runId, afterId, limit) as LogRow[]).map(toEntry);
  }

  /** Lines of any run with an id above `afterId`, in id order. */
  afterAll(afterId: number, limit: number): LogEntry[] {
    return (this.afterAllStmt.all(afterId, limit) as LogRow[]).map(toEntry);
  }

  maxId(): number {
    return this.maxIdStmt.get() as number;
  }
}
