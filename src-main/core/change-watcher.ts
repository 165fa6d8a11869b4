/**
 * Brings what other processes store (the CLI, a second window, a serve-mode process) onto
 * this process's event bus, as the same events its own jobs publish, so every open window
 * sees them within a poll period.
 *
 * `PRAGMA data_version` changes only when ANOTHER connection commits to the file, so each
 * tick costs one pragma while nobody else writes. When it changes, cheap cursor queries find
 * what is new: runs and evaluations by their change version (the `version` columns), metric points
 * and log lines by row id; a drop in the run count reveals deletions; imported models (a few
 * rows) by comparing the whole table with the last snapshot. While data_version
 * stands still, the cursors just move to the current ends, so this process's own writes
 * (already published by its services) are not published twice. Writes of this process and
 * of another that land in the same tick may both be published; clients merge by version,
 * step and id, so a repeat changes nothing.
 */
import type { EventBus } from './event-bus.ts';
import type { MetricPoint } from '../../shared/domain.ts';
import type { Store } from '../store/store.ts';
import { summarizeRun } from './run-summaries.ts';

/** Rows read per query and tick; the rest come on the next ticks. */
const ROWS_PER_TICK = 20_000;

export interface ChangeWatcherDeps {
  store: Store;
  bus: EventBus;
  /** Poll period (default 500 ms). */
  intervalMs?: number;
  diagnostics: (line: string) => void;
}

interface Cursors {
  dataVersion: number;
  runVersion: number;
  evaluationVersion: number;
  metricRow: number;
  logId: number;
}

export class ChangeWatcher {
  private readonly store: Store;
  private readonly bus: EventBus;
  private readonly intervalMs: number;
  private readonly diagnostics: (line: string) => void;
  private timer: NodeJS.Timeout | null = null;
  private cursors: Cursors;
  private knownRuns: Set<string>;
  /** Each imported model as last published, as JSON, by id. */
  private knownModels: Map<string, string>;
  private failing = false;

  constructor(deps: ChangeWatcherDeps) {
    this.store = deps.store;
    this.bus = deps.bus;
    this.intervalMs = deps.intervalMs ?? 500;
    this.diagnostics = deps.diagnostics;
    this.cursors = this.currentEnds();
    this.knownRuns = new Set(this.store.runs.ids());
    this.knownModels = this.modelSnapshot();
  }

  private modelSnapshot(): Map<string, string> {
    return new Map(this.store.models.list().map((m) => [m.id, JSON.stringify(m)]));
  }

  /** Publishes models another process imported, changed or removed since the last snapshot. */
  private publishModelChanges(): void {
    const models = this.store.models.list();
    const seen = new Set<string>();
    for (const m of models) {
      seen.add(m.id);
      const json = JSON.stringify(m);
      if (this.knownModels.get(m.id) === json) continue;
      this.knownModels.set(m.id, json);
      this.bus.emit('model.changed', m);
    }
    for (const id of [...this.knownModels.keys()]) {
      if (seen.has(id)) continue;
      this.knownModels.delete(id);
      this.bus.emit('model.removed', { id });
    }
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One poll: publishes what other connections committed since the last one. */
  tick(): void {
    try {
      const dataVersion = this.dataVersion();
      if (dataVersion === this.cursors.dataVersion) {
        // Only this process wrote: its services published that already. (Runs it added or
        // deleted are found by the count check on the next foreign change.)
        this.cursors = this.currentEnds();
        this.knownModels = this.modelSnapshot();
      } else {
        this.cursors.dataVersion = dataVersion;
        this.publishChanges();
        this.publishModelChanges();
      }
      this.failing = false;
    } catch (err) {
      // a busy or closing database: try again next tick, and say so once
      if (!this.failing) this.diagnostics(`change watcher: ${err instanceof Error ? err.message : String(err)}`);
      this.failing = true;
    }
  }

  private dataVersion(): number {
    return this.store.db.pragma('data_version', { simple: true }) as number;
  }

  private currentEnds(): Cursors {
    const { store } = this;
    return {
      dataVersion: this.dataVersion(),
      runVersion: store.runs.maxVersion(),
      evaluationVersion: store.evaluations.maxVersion(),
      metricRow: store.metrics.maxRowid(),
      logId: store.logs.maxId(),
    };
  }

  private publishChanges(): void {
    const { store, bus, cursors } = this;
    // Read everything in one transaction: one consistent snapshot of the other writer's commits.
    const changes = store.transaction(() => {
      const runs = store.runs.changedSince(cursors.runVersion).slice(0, ROWS_PER_TICK);
      const summaries = runs.map((r) => summarizeRun(store, r.id)).filter((s) => s !== undefined);
      const { lastRowid: metricRow, points } = store.metrics.pointsAfterRow(cursors.metricRow, ROWS_PER_TICK);
      const logs = store.logs.afterAll(cursors.logId, ROWS_PER_TICK);
      const evaluations = store.evaluations.changedSince(cursors.evaluationVersion).slice(0, ROWS_PER_TICK);
      const changedIds = new Set(runs.map((r) => r.id));
      const metricRunSummaries = [...new Set(points.map((p) => p.runId))]
        .filter((id) => !changedIds.has(id))
        .map((id) => summarizeRun(store, id))
        .filter((s) => s !== undefined);
      const count = store.runs.count();
      const newIds = runs.filter((r) => !this.knownRuns.has(r.id)).map((r) => r.id);
      // Every insert raised a version, so a count below known + new means rows were deleted.
      const ids = count === this.knownRuns.size + newIds.length ? null : store.runs.ids();
      // Rows deleted at the end of a table (a resume dropping an aborted attempt's points) let
      // SQLite hand their row ids out again; the cursor follows the table's end down.
      const metricEnd = store.metrics.maxRowid();
      const logEnd = store.logs.maxId();
      return { runs, summaries, metricRunSummaries, metricRow, points, logs, evaluations, newIds, ids, metricEnd, logEnd };
    });

    if (changes.runs.length) cursors.runVersion = changes.runs[changes.runs.length - 1]!.version;
    if (changes.evaluations.length) cursors.evaluationVersion = changes.evaluations[changes.evaluations.length - 1]!.version;
    cursors.metricRow = changes.metricRow > cursors.metricRow ? changes.metricRow : Math.min(cursors.metricRow, changes.metricEnd);
    cursors.logId = changes.logs.length ? changes.logs[changes.logs.length - 1]!.id : Math.min(cursors.logId, changes.logEnd);
    for (const id of changes.newIds) this.knownRuns.add(id);

    if (changes.ids) {
      const present = new Set(changes.ids);
      for (const id of this.knownRuns) {
        if (!present.has(id)) bus.emit('run.removed', { id });
      }
      this.knownRuns = present;
    }
    for (const s of changes.summaries) bus.emit('run.changed', s);
    // New points change a run's last metric values (in its summary) without a new version.
    for (const s of changes.metricRunSummaries) bus.emit('run.changed', s);
    const byRun = new Map<string, MetricPoint[]>();
    for (const { runId, point } of changes.points) {
      const list = byRun.get(runId);
      if (list) list.push(point);
      else byRun.set(runId, [point]);
    }
    for (const [runId, points] of byRun) bus.emit('run.metrics', { runId, points });
    for (const entry of changes.logs) bus.emit('run.log', entry);
    for (const { evaluation } of changes.evaluations) bus.emit('evaluation.changed', evaluation);
  }
}
