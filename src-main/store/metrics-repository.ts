/**
 * Metric series. Rows arrive in batches from the job supervisor and are written in one
 * transaction per batch with prepared statements; rows go in groups of ROWS_PER_INSERT per
 * statement (multi-row VALUES), which halves the per-row cost of crossing into SQLite.
 * `metric_last` (the runs list) and `metric_summary` (best/last for queries and compare)
 * are kept up to date in the same transaction.
 */
import { MetricKeySchema, type MetricPoint } from '../../shared/domain.ts';
import type { Db } from './migrator.ts';

/** 50 rows × 6 columns = 300 parameters, far below SQLite's limit of 32766. */
const ROWS_PER_INSERT = 50;

export interface RawSeries {
  key: string;
  step: Float64Array;
  epoch: Float64Array;
  value: Float64Array;
}

/**
 * Points per block of metric_blocks, finest first (migrations 0007 and 0012 roll up existing
 * series with the same sizes): a chart reads the coarsest level that fits in its buckets.
 */
export const METRIC_BLOCK_SIZES = [64, 256, 1024, 4096] as const;

/** The lowest and highest point of a block of consecutive points of a series. */
export interface MetricBlock {
  points: number;
  minValue: number;
  minStep: number;
  minEpoch: number;
  minWall: number;
  maxValue: number;
  maxStep: number;
  maxEpoch: number;
  maxWall: number;
}

/** A series with wall times (unix ms), ordered by step. */
export interface RawSeriesWithWall extends RawSeries {
  wall: Float64Array;
}

/** One series summarised: best in both directions (first step reaching it) and last. */
export interface MetricSummaryRow {
  run: string;
  key: string;
  minValue: number;
  minStep: number;
  minEpoch: number;
  maxValue: number;
  maxStep: number;
  maxEpoch: number;
  lastValue: number;
  lastStep: number;
  lastEpoch: number;
  points: number;
}

interface BatchSummary {
  min: MetricPoint;
  max: MetricPoint;
  last: MetricPoint;
  points: number;
}

export class MetricsRepository {
  private readonly insertStmt;
  private readonly summaryStmt;
  private readonly insertGroupStmt;
  private readonly lastStmt;
  private readonly lastOfRunStmt;
  private readonly lastAllStmt;
  private readonly lastOfRunsStmt;
  private readonly keysStmt;
  private readonly seriesStmt;
  private readonly countStmt;
  private readonly insertMany;
  private readonly pointsStmt;
  private readonly blockStmt;
  private readonly blocksStmt;
  private readonly blockExtremesStmts;
  private readonly seriesWallStmt;
  private readonly firstStmt;
  private readonly lastPointStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare('INSERT INTO metrics (run, key, step, epoch, value, wall_time) VALUES (?, ?, ?, ?, ?, ?)');
    this.insertGroupStmt = db.prepare(
      `INSERT INTO metrics (run, key, step, epoch, value, wall_time) VALUES ${Array.from({ length: ROWS_PER_INSERT }, () => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
    );
    this.lastStmt = db.prepare(`INSERT INTO metric_last (run, key, step, value) VALUES (?, ?, ?, ?)
      ON CONFLICT (run, key) DO UPDATE SET step = excluded.step, value = excluded.value WHERE excluded.step >= metric_last.step`);
    // In an upsert's SET every column name reads the row as it was, so the CASEs see the old values.
    this.summaryStmt = db.prepare(`INSERT INTO metric_summary
      (run, key, min_value, min_step, min_epoch, max_value, max_step, max_epoch, last_value, last_step, last_epoch, points)
      VALUES (@run, @key, @minValue, @minStep, @minEpoch, @maxValue, @maxStep, @maxEpoch, @lastValue, @lastStep, @lastEpoch, @points)
      ON CONFLICT (run, key) DO UPDATE SET
        min_value = CASE WHEN excluded.min_value < min_value THEN excluded.min_value ELSE min_value END,
        min_step = CASE WHEN excluded.min_value < min_value THEN excluded.min_step ELSE min_step END,
        min_epoch = CASE WHEN excluded.min_value < min_value THEN excluded.min_epoch ELSE min_epoch END,
        max_value = CASE WHEN excluded.max_value > max_value THEN excluded.max_value ELSE max_value END,
        max_step = CASE WHEN excluded.max_value > max_value THEN excluded.max_step ELSE max_step END,
        max_epoch = CASE WHEN excluded.max_value > max_value THEN excluded.max_epoch ELSE max_epoch END,
        last_value = CASE WHEN excluded.last_step >= last_step THEN excluded.last_value ELSE last_value END,
        last_epoch = CASE WHEN excluded.last_step >= last_step THEN excluded.last_epoch ELSE last_epoch END,
        last_step = CASE WHEN excluded.last_step >= last_step THEN excluded.last_step ELSE last_step END,
        points = points + excluded.points`);
    this.lastOfRunStmt = db.prepare('SELECT key, value FROM metric_last WHERE run = ? ORDER BY key');
    this.lastAllStmt = db.prepare('SELECT run, key, value FROM metric_last ORDER BY run, key');
    this.lastOfRunsStmt = db.prepare('SELECT run, key, value FROM metric_last WHERE run IN (SELECT value FROM json_each(?)) ORDER BY run, key');
    this.keysStmt = db.prepare('SELECT key FROM metric_last WHERE run = ? ORDER BY key').pluck();
    this.seriesStmt = db.prepare('SELECT step, epoch, value FROM metrics WHERE run = ? AND key = ? ORDER BY step, rowid').raw();
    this.countStmt = db.prepare('SELECT count(*) FROM metrics WHERE run = ?').pluck();
    this.pointsStmt = db.prepare('SELECT points FROM metric_summary WHERE run = ? AND key = ?').pluck();
    this.blockStmt = db.prepare(`INSERT INTO metric_blocks
      (run, key, size, block, points, min_value, min_step, min_epoch, min_wall, max_value, max_step, max_epoch, max_wall)
      VALUES (@run, @key, @size, @block, @points, @minValue, @minStep, @minEpoch, @minWall, @maxValue, @maxStep, @maxEpoch, @maxWall)
      ON CONFLICT (run, key, size, block) DO UPDATE SET
        min_step = CASE WHEN excluded.min_value < min_value THEN excluded.min_step ELSE min_step END,
        min_epoch = CASE WHEN excluded.min_value < min_value THEN excluded.min_epoch ELSE min_epoch END,
        min_wall = CASE WHEN excluded.min_value < min_value THEN excluded.min_wall ELSE min_wall END,
        min_value = CASE WHEN excluded.min_value < min_value THEN excluded.min_value ELSE min_value END,
        max_step = CASE WHEN excluded.max_value > max_value THEN excluded.max_step ELSE max_step END,
        max_epoch = CASE WHEN excluded.max_value > max_value THEN excluded.max_epoch ELSE max_epoch END,
        max_wall = CASE WHEN excluded.max_value > max_value THEN excluded.max_wall ELSE max_wall END,
        max_value = CASE WHEN excluded.max_value > max_value THEN excluded.max_value ELSE max_value END,
        points = points + excluded.points`);
    this.blocksStmt = db
      .prepare('SELECT points, min_value, min_step, min_epoch, min_wall, max_value, max_step, max_epoch, max_wall FROM metric_blocks WHERE run = ? AND key = ? AND size = ? ORDER BY block')
      .raw();
    this.blockExtremesStmts = {
      step: db.prepare('SELECT min_step, min_value, max_step, max_value FROM metric_blocks WHERE run = ? AND key = ? AND size = ? ORDER BY block').raw(),
      epoch: db.prepare('SELECT min_epoch, min_value, max_epoch, max_value FROM metric_blocks WHERE run = ? AND key = ? AND size = ? ORDER BY block').raw(),
      wall: db.prepare('SELECT min_wall, min_value, max_wall, max_value FROM metric_blocks WHERE run = ? AND key = ? AND size = ? ORDER BY block').raw(),
    };
    this.seriesWallStmt = db.prepare('SELECT step, epoch, value, wall_time FROM metrics WHERE run = ? AND key = ? ORDER BY step, rowid').raw();
    this.firstStmt = db.prepare('SELECT step, epoch, wall_time FROM metrics WHERE run = ? AND key = ? ORDER BY step, rowid LIMIT 1').raw();
    this.lastPointStmt = db.prepare('SELECT step, epoch, wall_time FROM metrics WHERE run = ? AND key = ? ORDER BY step DESC, rowid DESC LIMIT 1').raw();
    this.insertMany = db.transaction((runId: string, points: readonly MetricPoint[]) => {
      // One summary per key decides metric_last and metric_summary: one upsert per key instead of per row.
      const summaries = new Map<string, BatchSummary>();
      for (const p of points) {
        const s = summaries.get(p.key);
        if (!s) {
          summaries.set(p.key, { min: p, max: p, last: p, points: 1 });
          continue;
        }
        if (p.value < s.min.value) s.min = p;
        if (p.value > s.max.value) s.max = p;
        if (p.step >= s.last.step) s.last = p;
        s.points++;
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
      // Blocks are numbered by arrival order within the series, which is step order for a run
      // that trains forward; a resume that rewinds rebuilds them (deleteAfterStep).
      for (const key of summaries.keys()) this.addToBlocks(runId, key, points);
      for (const [key, s] of summaries) {
        this.lastStmt.run(runId, key, s.last.step, s.last.value);
        this.summaryStmt.run({
          run: runId,
          key,
          minValue: s.min.value,
          minStep: s.min.step,
          minEpoch: s.min.epoch,
          maxValue: s.max.value,
          maxStep: s.max.step,
          maxEpoch: s.max.epoch,
          lastValue: s.last.value,
          lastStep: s.last.step,
          lastEpoch: s.last.epoch,
          points: s.points,
        });
      }
    });
  }

  private addToBlocks(runId: string, key: string, points: readonly MetricPoint[]): void {
    const base = (this.pointsStmt.get(runId, key) as number | undefined) ?? 0;
    for (const size of METRIC_BLOCK_SIZES) {
      let ordinal = base;
      let current: (MetricBlock & { block: number }) | null = null;
      const flush = () => {
        if (current) this.blockStmt.run({ run: runId, key, size, ...current });
      };
      for (const p of points) {
        if (p.key !== key) continue;
        const block = Math.floor(ordinal / size);
        ordinal++;
        if (!current || current.block !== block) {
          flush();
          current = { block, points: 0, minValue: p.value, minStep: p.step, minEpoch: p.epoch, minWall: p.wallTime, maxValue: p.value, maxStep: p.step, maxEpoch: p.epoch, maxWall: p.wallTime };
        }
        current.points++;
        if (p.value < current.minValue) Object.assign(current, { minValue: p.value, minStep: p.step, minEpoch: p.epoch, minWall: p.wallTime });
        if (p.value > current.maxValue) Object.assign(current, { maxValue: p.value, maxStep: p.step, maxEpoch: p.epoch, maxWall: p.wallTime });
      }
      flush();
    }
  }

  /** Points stored for one series (kept in metric_summary, no scan). */
  pointCount(runId: string, key: string): number {
    return (this.pointsStmt.get(runId, key) as number | undefined) ?? 0;
  }

  /**
   * The blocks of `size` points of one series, in order, as rows of [points, minValue,
   * minStep, minEpoch, minWall, maxValue, maxStep, maxEpoch, maxWall] (no objects: charts of
   * many long runs read tens of thousands of them).
   */
  blockRows(runId: string, key: string, size: number): number[][] {
    return this.blocksStmt.all(runId, key, size) as number[][];
  }

  /**
   * The extremes of the blocks of `size` points of one series on one coordinate, in order, as
   * rows of [x of the lowest point, lowest value, x of the highest point, highest value]
   * (x: step, epoch or wall time in unix ms): what a chart's reduction reads.
   */
  blockExtremes(runId: string, key: string, size: number, x: 'step' | 'epoch' | 'wall'): [number, number, number, number][] {
    return this.blockExtremesStmts[x].all(runId, key, size) as [number, number, number, number][];
  }

  /** The blocks of `size` points of one series, in order. */
  blocks(runId: string, key: string, size: number): MetricBlock[] {
    return this.blockRows(runId, key, size).map((r) => ({
      points: r[0]!, minValue: r[1]!, minStep: r[2]!, minEpoch: r[3]!, minWall: r[4]!, maxValue: r[5]!, maxStep: r[6]!, maxEpoch: r[7]!, maxWall: r[8]!,
    }));
  }

  /** The first and last point (by step) of one series: step, epoch, wall time; null when empty. */
  endpoints(runId: string, key: string): { first: [number, number, number]; last: [number, number, number] } | null {
    const first = this.firstStmt.get(runId, key) as [number, number, number] | undefined;
    const last = this.lastPointStmt.get(runId, key) as [number, number, number] | undefined;
    return first && last ? { first, last } : null;
  }

  /** The whole series of one key with wall times, ordered by step. */
  seriesWithWall(runId: string, key: string): RawSeriesWithWall {
    const rows = this.seriesWallStmt.all(runId, key) as [number, number, number, number][];
    const out = { key, step: new Float64Array(rows.length), epoch: new Float64Array(rows.length), value: new Float64Array(rows.length), wall: new Float64Array(rows.length) };
    rows.forEach((r, i) => {
      out.step[i] = r[0];
      out.epoch[i] = r[1];
      out.value[i] = r[2];
      out.wall[i] = r[3];
    });
    return out;
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

  /** Last values of every run, or of the runs of `ids`, for listing runs without one query per run. */
  lastValuesByRun(ids?: readonly string[]): Map<string, Record<string, number>> {
    const out = new Map<string, Record<string, number>>();
    const rows = ids ? this.lastOfRunsStmt.all(JSON.stringify(ids)) : this.lastAllStmt.all();
    for (const row of rows as { run: string; key: string; value: number }[]) {
      let rec = out.get(row.run);
      if (!rec) out.set(row.run, (rec = {}));
      rec[row.key] = row.value;
    }
    return out;
  }

  /**
   * Points of any run stored after row `afterRowid`, in row order, at most `limit` rows (the
   * change watcher's cursor), and the last row read. A key this version does not know is skipped.
   */
  pointsAfterRow(afterRowid: number, limit: number): { lastRowid: number; points: { runId: string; point: MetricPoint }[] } {
    const rows = this.db
      .prepare('SELECT rowid, run, key, step, epoch, value, wall_time FROM metrics WHERE rowid > ? ORDER BY rowid LIMIT ?')
      .all(afterRowid, limit) as { rowid: number; run: string; key: string; step: number; epoch: number; value: number; wall_time: number }[];
    const points: { runId: string; point: MetricPoint }[] = [];
    for (const r of rows) {
      const key = MetricKeySchema.safeParse(r.key);
      if (key.success) points.push({ runId: r.run, point: { key: key.data, step: r.step, epoch: r.epoch, value: r.value, wallTime: r.wall_time } });
    }
    return { lastRowid: rows.length ? rows[rows.length - 1]!.rowid : afterRowid, points };
  }

  maxRowid(): number {
    return this.db.prepare('SELECT coalesce(max(rowid), 0) FROM metrics').pluck().get() as number;
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
      this.rebuildSummary(runId);
      this.rebuildBlocks(runId);
      return deleted;
    })();
  }

  /** Recomputes a run's metric_blocks from its metric rows (migration 0007's roll-up for one run). */
  private rebuildBlocks(runId: string): void {
    this.db.prepare('DELETE FROM metric_blocks WHERE run = ?').run(runId);
    const insert = this.db.prepare(`
      INSERT INTO metric_blocks
      SELECT run, key, CAST(@size AS INTEGER), block, count(*),
        max(CASE WHEN rmin = 1 THEN value END), max(CASE WHEN rmin = 1 THEN step END), max(CASE WHEN rmin = 1 THEN epoch END), max(CASE WHEN rmin = 1 THEN wall_time END),
        max(CASE WHEN rmax = 1 THEN value END), max(CASE WHEN rmax = 1 THEN step END), max(CASE WHEN rmax = 1 THEN epoch END), max(CASE WHEN rmax = 1 THEN wall_time END)
      FROM (
        SELECT run, key, step, epoch, value, wall_time, block,
          row_number() OVER (PARTITION BY key, block ORDER BY value ASC, step ASC) AS rmin,
          row_number() OVER (PARTITION BY key, block ORDER BY value DESC, step ASC) AS rmax
        FROM (
          SELECT run, key, step, epoch, value, wall_time,
            (row_number() OVER (PARTITION BY key ORDER BY step, rowid) - 1) / CAST(@size AS INTEGER) AS block
          FROM metrics WHERE run = @run))
      GROUP BY run, key, block`);
    for (const size of METRIC_BLOCK_SIZES) insert.run({ size, run: runId });
  }

  /**
   * Recomputes a run's metric_summary rows from its metric rows: migration 0003's backfill
   * restricted to one run (kept as its own copy because a migration never changes).
   */
  private rebuildSummary(runId: string): void {
    this.db.prepare('DELETE FROM metric_summary WHERE run = ?').run(runId);
    this.db
      .prepare(
        `INSERT INTO metric_summary
         SELECT run, key,
           max(CASE WHEN rmin = 1 THEN value END), max(CASE WHEN rmin = 1 THEN step END), max(CASE WHEN rmin = 1 THEN epoch END),
           max(CASE WHEN rmax = 1 THEN value END), max(CASE WHEN rmax = 1 THEN step END), max(CASE WHEN rmax = 1 THEN epoch END),
           max(CASE WHEN rlast = 1 THEN value END), max(CASE WHEN rlast = 1 THEN step END), max(CASE WHEN rlast = 1 THEN epoch END),
           count(*)
         FROM (
           SELECT run, key, step, epoch, value,
             row_number() OVER (PARTITION BY key ORDER BY value ASC, step ASC, rowid ASC) AS rmin,
             row_number() OVER (PARTITION BY key ORDER BY value DESC, step ASC, rowid ASC) AS rmax,
             row_number() OVER (PARTITION BY key ORDER BY step DESC, rowid DESC) AS rlast
           FROM metrics WHERE run = ?)
         GROUP BY run, key`,
      )
      .run(runId);
  }

  /** Summaries of the given runs' series (all keys, or only `keys`). */
  summaries(runIds: readonly string[], keys?: readonly string[]): MetricSummaryRow[] {
    if (runIds.length === 0) return [];
    const runPh = runIds.map(() => '?').join(', ');
    const keyFilter = keys && keys.length > 0 ? ` AND key IN (${keys.map(() => '?').join(', ')})` : '';
    return this.db
      .prepare(
        `SELECT run, key, min_value AS minValue, min_step AS minStep, min_epoch AS minEpoch, max_value AS maxValue,
           max_step AS maxStep, max_epoch AS maxEpoch, last_value AS lastValue, last_step AS lastStep, last_epoch AS lastEpoch, points
         FROM metric_summary WHERE run IN (${runPh})${keyFilter} ORDER BY run, key`,
      )
      .all(...runIds, ...(keys ?? [])) as MetricSummaryRow[];
  }

  /** The highest step stored for a run's key (undefined without rows). */
  lastStep(runId: string, key: string): number | undefined {
    return this.db.prepare('SELECT last_step FROM metric_summary WHERE run = ? AND key = ?').pluck().get(runId, key) as number | undefined;
  }

  /** The highest step stored for a run over all keys (undefined without rows). */
  maxStep(runId: string): number | undefined {
    return (this.db.prepare('SELECT max(last_step) FROM metric_summary WHERE run = ?').pluck().get(runId) as number | null) ?? undefined;
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
