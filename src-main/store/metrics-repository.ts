/**
 * Metric series. Rows arrive in batches from the job runner and are written in one
 * transaction per batch with prepared statements; rows go in groups of ROWS_PER_INSERT per
 * statement (multi-row VALUES), which halves the per-row cost of crossing into SQLite.
 * `metric_last` is kept up to date in the same transaction for the runs list.
 */
import type { MetricPoint } from '../../shared/domain.ts';
import type { Db } from './migrator.ts';

/** 50 rows × 6 columns = 300 parameters, far below SQLite's limit of 32766. */
const ROWS_PER_INSERT = 50;

export interface RawSeries {
  key: string;
  step: Float64Array;
  epoch: Float64Array;
  value: Float64Array;
}

export class MetricsRepository {
  private readonly insertStmt;
  private readonly insertGroupStmt;
  private readonly lastStmt;
  private readonly lastOfRunStmt;
  private readonly lastAllStmt;
  private readonly keysStmt;
  private readonly seriesStmt;
  private readonly countStmt;
  private readonly insertMany;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare('INSERT INTO metrics (run, key, step, epoch, value, wall_time) VALUES (?, ?, ?, ?, ?, ?)');
    this.insertGroupStmt = db.prepare(
      `INSERT INTO metrics (run, key, step, epoch, value, wall_time) VALUES ${Array.from({ length: ROWS_PER_INSERT }, () => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
    );
    this.lastStmt = db.prepare(`INSERT INTO metric_last (run, key, step, value) VALUES (?, ?, ?, ?)
      ON CONFLICT (run, key) DO UPDATE SET step = excluded.step, value = excluded.value WHERE excluded.step >= metric_last.step`);
    this.lastOfRunStmt = db.prepare('SELECT key, value FROM metric_last WHERE run = ? ORDER BY key');
    this.lastAllStmt = db.prepare('SELECT run, key, value FROM metric_last ORDER BY run, key');
    this.keysStmt = db.prepare('SELECT key FROM metric_last WHERE run = ? ORDER BY key').pluck();
    this.seriesStmt = db.prepare('SELECT step, epoch, value FROM metrics WHERE run = ? AND key = ? ORDER BY step, rowid').raw();
    this.countStmt = db.prepare('SELECT count(*) FROM metrics WHERE run = ?').pluck();
    this.insertMany = db.transaction((runId: string, points: readonly MetricPoint[]) => {
      // The last point per key decides metric_last: one upsert per key instead of per row.
      const last = new Map<string, MetricPoint>();
      for (const p of points) {
        const prev = last.get(p.key);
        if (!prev || p.step >= prev.step) last.set(p.key, p);
      }
      const params: (string | number)[] = new Array(ROWS_PER_INSERT * 6);
      let i = 0;
      for (; i + ROWS_PER_INSERT <= points.length; i += ROWS_PER_INSERT) {
        for (let j = 0; j < ROWS_PER_INSERT; j++) {
          const p = points[i + j]!;
          const o = j * 6;
          params[o] = runId;
          params[o + 1] = p.key;
          params[o + 2] = p.step;
          params[o + 3] = p.epoch;
          params[o + 4] = p.value;
          params[o + 5] = p.wallTime;
        }
        this.insertGroupStmt.run(params);
      }
      for (; i < points.length; i++) {
        const p = points[i]!;
        this.insertStmt.run(runId, p.key, p.step, p.epoch, p.value, p.wallTime);
      }
      for (const p of last.values()) this.lastStmt.run(runId, p.key, p.step, p.value);
    });
  }

  /** Appends points in one transaction (or inside the caller's transaction). */
  insert(runId: string, points: readonly MetricPoint[]): void {
    if (points.length > 0) this.insertMany(runId, points);
  }

  lastValues(runId: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const row of this.lastOfRunStmt.all(runId) as { key: string; value: number }[]) out[row.key] = row.value;
    return out;
  }

  /** Last values of every run, for listing runs without one query per run. */
  lastValuesByRun(): Map<string, Record<string, number>> {
    const out = new Map<string, Record<string, number>>();
    for (const row of this.lastAllStmt.all() as { run: string; key: string; value: number }[]) {
      let rec = out.get(row.run);
      if (!rec) out.set(row.run, (rec = {}));
      rec[row.key] = row.value;
    }
    return out;
  }

  keys(runId: string): string[] {
    return this.keysStmt.all(runId) as string[];
  }

  /** The whole series of one key, ordered by step (downsampling happens on top of this). */
  series(runId: string, key: string): RawSeries {
    let step: Float64Array<ArrayBuffer> = new Float64Array(1024);
    let epoch: Float64Array<ArrayBuffer> = new Float64Array(1024);
    let value: Float64Array<ArrayBuffer> = new Float64Array(1024);
    let n = 0;
    for (const row of this.seriesStmt.iterate(runId, key) as Iterable<[number, number, number]>) {
      if (n === step.length) {
        step = grow(step);
        epoch = grow(epoch);
        value = grow(value);
      }
      step[n] = row[0];
      epoch[n] = row[1];
      value[n] = row[2];
      n++;
    }
    return { key, step: step.subarray(0, n), epoch: epoch.subarray(0, n), value: value.subarray(0, n) };
  }

  /**
   * Deletes the rows a run wrote after `step` (an aborted attempt past the checkpoint a
   * resume starts from) and recomputes its metric_last rows, in one transaction. Returns
   * the number of metric rows deleted.
   */
  deleteAfterStep(runId: string, step: number): number {
    return this.db.transaction(() => {
      const deleted = this.db.prepare('DELETE FROM metrics WHERE run = ? AND step > ?').run(runId, step).changes;
      this.db.prepare('DELETE FROM metric_last WHERE run = ?').run(runId);
      this.db
        .prepare(
          `INSERT INTO metric_last (run, key, step, value)
           SELECT run, key, step, value FROM (
             SELECT run, key, step, value, row_number() OVER (PARTITION BY key ORDER BY step DESC, rowid DESC) AS rn
             FROM metrics WHERE run = ?) WHERE rn = 1`,
        )
        .run(runId);
      return deleted;
    })();
  }

  count(runId: string): number {
    return this.countStmt.get(runId) as number;
  }

  get database(): Db {
    return this.db;
  }
}

function grow(a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}
