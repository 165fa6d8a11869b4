/**
 * The `runs` table. Status changes are compare-and-set (`WHERE status IN (...)`) because
 * two processes (GUI and CLI) share the file: whoever loses the race sees `false` and
 * leaves the row alone. Deciding WHICH transition happens is the scheduler's job.
 */
import type { RunConfig } from '../../shared/run-config.ts';
import { RunStatusSchema, type RunStatus, type RunSummary } from '../../shared/domain.ts';
import type { Db } from './migrator.ts';

/** A run row without its metric summary (that lives in metric_last). */
export type RunRecord = Omit<RunSummary, 'metrics'> & {
  ownerPid: number | null;
  /** Unix ms of the owner's last heartbeat. */
  heartbeatAt: number | null;
  cancelRequestedAt: number | null;
};

export interface NewRun {
  id: string;
  name: string;
  preset: string;
  arch: string;
  datasetKind: string;
  /** Serialised, already-validated RunConfig. */
  configJson: string;
  createdAt: string;
  epochs: number;
  /** The local process that owns the run; null for a run a cluster runs (its state comes from Slurm). */
  ownerPid: number | null;
  heartbeatAt: number | null;
}

/** The stored row of a new run: the columns the runs list shows come from its config. */
export function newRunOf(
  id: string,
  config: Pick<RunConfig, 'name' | 'preset' | 'arch' | 'dataset' | 'epochs'>,
  owner: { createdAt: number; ownerPid: number | null; heartbeatAt: number | null },
): NewRun {
  return {
    id,
    name: config.name,
    preset: config.preset,
    arch: config.arch,
    datasetKind: config.dataset.kind,
    configJson: JSON.stringify(config),
    createdAt: new Date(owner.createdAt).toISOString(),
    epochs: config.epochs,
    ownerPid: owner.ownerPid,
    heartbeatAt: owner.heartbeatAt,
  };
}

interface RunRow {
  id: string;
  name: string;
  preset: string;
  arch: string;
  dataset_kind: string;
  status: string;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  error: string | null;
  backend: string | null;
  device: string | null;
  epochs: number;
  epochs_done: number;
  owner_pid: number | null;
  heartbeat_at: number | null;
  cancel_requested_at: number | null;
  queue_position: number | null;
  tags: string;
  notes: string;
  version: number;
}

const COLUMNS = `id, name, preset, arch, dataset_kind, status, created_at, started_at, ended_at, error,
  backend, device, epochs, epochs_done, owner_pid, heartbeat_at, cancel_requested_at, queue_position, tags, notes, version`;

function parseTags(json: string): string[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}

function toRecord(row: RunRow): RunRecord {
  const status = RunStatusSchema.safeParse(row.status);
  return {
    id: row.id,
    name: row.name,
    preset: row.preset,
    arch: row.arch,
    datasetKind: row.dataset_kind,
    // The CHECK constraint makes an unknown status impossible unless a newer schema wrote it.
    status: status.success ? status.data : 'failed',
    createdAt: row.created_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    error: row.error,
    backend: row.backend,
    device: row.device,
    epochs: row.epochs,
    epochsDone: row.epochs_done,
    ownerPid: row.owner_pid,
    heartbeatAt: row.heartbeat_at,
    cancelRequestedAt: row.cancel_requested_at,
    queuePosition: row.queue_position,
    tags: parseTags(row.tags),
    notes: row.notes,
    version: row.version,
  };
}

function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

export interface TransitionFields {
  startedAt?: string;
  endedAt?: string;
  error?: string | null;
  ownerPid?: number;
  heartbeatAt?: number;
  epochsDone?: number;
}

/**
 * Pages of the runs list, newest first: keyset pages walk the runs_by_created index
 * (created_at DESC, id DESC), so no sort and no scan of the rows before the cursor.
 */
export const RUNS_PAGE_SQL = `SELECT ${COLUMNS} FROM runs ORDER BY created_at DESC, id DESC LIMIT ?`;
export const RUNS_PAGE_BEFORE_SQL = `SELECT ${COLUMNS} FROM runs WHERE (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT ?`;

export class RunsRepository {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly getManyStmt;
  private readonly listStmt;
  private readonly pageStmt;
  private readonly pageBeforeStmt;
  private readonly activeAllStmt;
  private readonly configStmt;
  private readonly activeStmt;
  private readonly backendStmt;
  private readonly epochsDoneStmt;
  private readonly requestCancelStmt;
  private readonly queueTailStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(`INSERT INTO runs
      (id, name, preset, arch, dataset_kind, config, status, created_at, epochs, epochs_done, owner_pid, heartbeat_at)
      VALUES (@id, @name, @preset, @arch, @datasetKind, @configJson, 'queued', @createdAt, @epochs, 0, @ownerPid, @heartbeatAt)`);
    this.queueTailStmt = db.prepare(
      `UPDATE runs SET queue_position = (SELECT coalesce(max(queue_position), 0) + 1 FROM runs WHERE queue_position IS NOT NULL) WHERE id = ?`,
    );
    this.getStmt = db.prepare(`SELECT ${COLUMNS} FROM runs WHERE id = ?`);
    this.getManyStmt = db.prepare(`SELECT ${COLUMNS} FROM runs WHERE id IN (SELECT value FROM json_each(?))`);
    this.listStmt = db.prepare(`SELECT ${COLUMNS} FROM runs ORDER BY created_at DESC, id DESC`);
    this.pageStmt = db.prepare(RUNS_PAGE_SQL);
    this.pageBeforeStmt = db.prepare(RUNS_PAGE_BEFORE_SQL);
    this.activeAllStmt = db.prepare(`SELECT ${COLUMNS} FROM runs WHERE status IN ('queued', 'running') ORDER BY created_at DESC, id DESC`);
    this.configStmt = db.prepare(`SELECT config FROM runs WHERE id = ?`).pluck();
    // Runs on a cluster are followed through Slurm, not through local owners and queues.
    this.activeStmt = db.prepare(
      `SELECT ${COLUMNS} FROM runs WHERE status IN ('queued', 'running') AND id NOT IN (SELECT run FROM cluster_runs) ORDER BY created_at, id`,
    );
    this.backendStmt = db.prepare(`UPDATE runs SET backend = ?, device = ? WHERE id = ?`);
    this.epochsDoneStmt = db.prepare(`UPDATE runs SET epochs_done = ? WHERE id = ? AND epochs_done < ?`);
    this.requestCancelStmt = db.prepare(
      `UPDATE runs SET cancel_requested_at = ? WHERE id = ? AND status IN ('queued', 'running') AND cancel_requested_at IS NULL`,
    );
  }

  insert(run: NewRun): void {
    this.db.transaction(() => {
      this.insertStmt.run(run);
      this.queueTailStmt.run(run.id);
    })();
  }

  get(id: string): RunRecord | undefined {
    const row = this.getStmt.get(id) as RunRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  /** The runs of `ids` that exist, in no particular order (one statement for a page of runs). */
  getMany(ids: readonly string[]): RunRecord[] {
    return (this.getManyStmt.all(JSON.stringify(ids)) as RunRow[]).map(toRecord);
  }

  /** Newest first. */
  list(): RunRecord[] {
    return (this.listStmt.all() as RunRow[]).map(toRecord);
  }

  /** At most `limit` runs, newest first, older than `before` (by created_at, then id) when given. */
  listPage(limit: number, before?: { createdAt: string; id: string }): RunRecord[] {
    const rows = before ? this.pageBeforeStmt.all(before.createdAt, before.id, limit) : this.pageStmt.all(limit);
    return (rows as RunRow[]).map(toRecord);
  }

  /** Queued and running runs, on a cluster too, newest first. */
  listAllActive(): RunRecord[] {
    return (this.activeAllStmt.all() as RunRow[]).map(toRecord);
  }

  /** The stored config JSON (parsed by the caller with the current schema). */
  configJson(id: string): string | undefined {
    return this.configStmt.get(id) as string | undefined;
  }

  /** The distinct dataset specs of all runs' configs, as JSON. */
  datasetJsons(): string[] {
    return this.db.prepare(`SELECT DISTINCT json_extract(config, '$.dataset') FROM runs WHERE json_extract(config, '$.dataset') IS NOT NULL`).pluck().all() as string[];
  }

  /** Queued and running runs, oldest first. */
  listActive(): RunRecord[] {
    return (this.activeStmt.all() as RunRow[]).map(toRecord);
  }

  /**
   * Moves a run to `to` only if its status is one of `from`; returns whether it did.
   * `cancel_requested_at` is cleared when the run leaves the active states.
   */
  transition(id: string, from: readonly RunStatus[], to: RunStatus, fields: TransitionFields = {}): boolean {
    const sets = ['status = ?'];
    const values: (string | number | null)[] = [to];
    const add = (column: string, value: string | number | null | undefined) => {
      if (value === undefined) return;
      sets.push(`${column} = ?`);
      values.push(value);
    };
    add('started_at', fields.startedAt);
    add('ended_at', fields.endedAt);
    add('error', fields.error);
    add('owner_pid', fields.ownerPid);
    add('heartbeat_at', fields.heartbeatAt);
    if (fields.epochsDone !== undefined) {
      sets.push('epochs_done = max(epochs_done, ?)');
      values.push(fields.epochsDone);
    }
    if (to !== 'queued' && to !== 'running') sets.push('cancel_requested_at = NULL');
    if (to !== 'queued') sets.push('queue_position = NULL');
    // A run re-entering the queue (resume) goes to its end.
    else sets.push('queue_position = coalesce(queue_position, (SELECT coalesce(max(queue_position), 0) + 1 FROM runs WHERE queue_position IS NOT NULL))');
    const sql = `UPDATE runs SET ${sets.join(', ')} WHERE id = ? AND status IN (${placeholders(from.length)})`;
    return this.db.prepare(sql).run(...values, id, ...from).changes === 1;
  }

  setBackend(id: string, backend: string, device: string): void {
    this.backendStmt.run(backend, device, id);
  }

  /** Raises epochs_done (never lowers it); returns whether it changed. */
  raiseEpochsDone(id: string, epochsDone: number): boolean {
    return this.epochsDoneStmt.run(epochsDone, id, epochsDone).changes === 1;
  }

  /** Marks the owner's runs alive; only rows still queued or running are touched. */
  heartbeat(ids: readonly string[], ownerPid: number, now: number): void {
    if (ids.length === 0) return;
    this.db
      .prepare(
        `UPDATE runs SET heartbeat_at = ? WHERE owner_pid = ? AND status IN ('queued', 'running') AND id IN (${placeholders(ids.length)})`,
      )
      .run(now, ownerPid, ...ids);
  }

  /** Asks the owning process to cancel; returns false if the run is not active or was already asked. */
  requestCancel(id: string, now: number): boolean {
    return this.requestCancelStmt.run(now, id).changes === 1;
  }

  /** Of the given ids, those another process asked to cancel. */
  cancelRequested(ids: readonly string[]): string[] {
    if (ids.length === 0) return [];
    return this.db
      .prepare(`SELECT id FROM runs WHERE cancel_requested_at IS NOT NULL AND id IN (${placeholders(ids.length)})`)
      .pluck()
      .all(...ids) as string[];
  }

  /** Undoes a wrong `interrupted` verdict on a run its owner is still training. */
  reclaimInterrupted(id: string, ownerPid: number, now: number): boolean {
    const r = this.db
      .prepare(
        `UPDATE runs SET status = 'running', ended_at = NULL, error = NULL, heartbeat_at = ? WHERE id = ? AND status = 'interrupted' AND owner_pid = ?`,
      )
      .run(now, id, ownerPid);
    return r.changes === 1;
  }

  /** Takes over a queued run left by a dead process. */
  adoptQueued(id: string, previousOwner: number | null, ownerPid: number, now: number): boolean {
    const r = this.db
      .prepare(`UPDATE runs SET owner_pid = ?, heartbeat_at = ? WHERE id = ? AND status = 'queued' AND owner_pid IS ?`)
      .run(ownerPid, now, id, previousOwner);
    return r.changes === 1;
  }

  /** Queue places of the given queued runs (runs not queued are absent). */
  queuePositions(ids: readonly string[]): Map<string, number> {
    if (ids.length === 0) return new Map();
    const rows = this.db
      .prepare(`SELECT id, queue_position AS pos FROM runs WHERE status = 'queued' AND queue_position IS NOT NULL AND id IN (${placeholders(ids.length)})`)
      .all(...ids) as { id: string; pos: number }[];
    return new Map(rows.map((r) => [r.id, r.pos]));
  }

  /** Queued runs in queue order. */
  listQueued(): RunRecord[] {
    return (
      this.db
        .prepare(
          `SELECT ${COLUMNS} FROM runs WHERE status = 'queued' AND id NOT IN (SELECT run FROM cluster_runs) ORDER BY queue_position IS NULL, queue_position, created_at, id`,
        )
        .all() as RunRow[]
    ).map(toRecord);
  }

  /**
   * Gives the listed queued runs the queue places they hold, in the order listed (one
   * transaction). Returns false, changing nothing, if any of them is no longer queued.
   */
  reorderQueued(ids: readonly string[]): boolean {
    return this.db.transaction(() => {
      const positions = this.queuePositions(ids);
      if (positions.size !== ids.length || new Set(ids).size !== ids.length) return false;
      const slots = [...positions.values()].sort((a, b) => a - b);
      const set = this.db.prepare('UPDATE runs SET queue_position = ? WHERE id = ?');
      ids.forEach((id, i) => set.run(slots[i]!, id));
      return true;
    }).immediate();
  }

  /** Deletes a run only while it is still queued; returns whether it did. */
  deleteQueued(id: string): boolean {
    return this.db.prepare(`DELETE FROM runs WHERE id = ? AND status = 'queued'`).run(id).changes === 1;
  }

  /** Deletes an ended run (metrics, logs, checkpoints and evaluations cascade); false if it is active or gone. */
  deleteEnded(id: string): boolean {
    return this.db.prepare(`DELETE FROM runs WHERE id = ? AND status NOT IN ('queued', 'running')`).run(id).changes === 1;
  }

  updateDetails(id: string, fields: { name?: string; tags?: readonly string[]; notes?: string }): boolean {
    const sets: string[] = [];
    const values: string[] = [];
    if (fields.name !== undefined) {
      sets.push('name = ?');
      values.push(fields.name);
    }
    if (fields.tags !== undefined) {
      sets.push('tags = ?');
      values.push(JSON.stringify(fields.tags));
    }
    if (fields.notes !== undefined) {
      sets.push('notes = ?');
      values.push(fields.notes);
    }
    if (sets.length === 0) return this.get(id) !== undefined;
    return this.db.prepare(`UPDATE runs SET ${sets.join(', ')} WHERE id = ?`).run(...values, id).changes === 1;
  }

  /**
   * Puts an ended run back in the queue to be resumed (compare-and-set on `from`): owned by
   * `ownerPid`, end time and error cleared, epochs_done set to the checkpoint's epoch, at
   * the tail of the queue. Only the scheduler calls this.
   */
  requeueForResume(id: string, from: readonly RunStatus[], ownerPid: number, now: number, epochsDone: number): boolean {
    const r = this.db
      .prepare(
        `UPDATE runs SET status = 'queued', ended_at = NULL, error = NULL, cancel_requested_at = NULL, owner_pid = ?, heartbeat_at = ?,
          epochs_done = ?, queue_position = (SELECT coalesce(max(queue_position), 0) + 1 FROM runs WHERE queue_position IS NOT NULL)
          WHERE id = ? AND status IN (${placeholders(from.length)})`,
      )
      .run(ownerPid, now, epochsDone, id, ...from);
    return r.changes === 1;
  }

  /** Ids and versions of runs changed (inserted or updated) after `version`, oldest change first. */
  changedSince(version: number): { id: string; version: number }[] {
    return this.db.prepare('SELECT id, version FROM runs WHERE version > ? ORDER BY version').all(version) as { id: string; version: number }[];
  }

  /** The largest change version (0 for an empty table). */
  maxVersion(): number {
    return this.db.prepare('SELECT coalesce(max(version), 0) FROM runs').pluck().get() as number;
  }

  count(): number {
    return this.db.prepare('SELECT count(*) FROM runs').pluck().get() as number;
  }

  ids(): string[] {
    return this.db.prepare('SELECT id FROM runs').pluck().all() as string[];
  }
}
