/**
 * Evaluation records: one row per weighted-kNN evaluation of a checkpoint. A completed row
 * is the cache entry for its key (checkpoint sha256, dataset JSON, dataset state, K, sigma,
 * recompute);
 * the partial unique index keeps at most one completed row per key.
 */
import { z } from 'zod';
import { EVALUATION_STATUSES, type Evaluation } from '../../shared/domain.ts';
import type { Db } from './migrator.ts';

export interface EvaluationKey {
  checkpointSha256: string;
  /** Canonical JSON of the dataset spec. */
  datasetJson: string;
  /** The state of the dataset's files (an image folder's fingerprint), '' where it cannot change. */
  datasetState: string;
  k: number;
  sigma: number;
  recomputeMemory: boolean;
}

export interface NewEvaluation extends EvaluationKey {
  runId: string | null;
  checkpointId: number | null;
  checkpointPath: string;
  checkpointEpoch: number | null;
  /** The imported model evaluated (its weights file is checkpointPath, its file's sha256 checkpointSha256). */
  modelId?: string | null;
  createdAt: string;
  ownerPid: number;
}

export interface EvaluationResult {
  top1: number;
  top5: number;
  nnTop1: number;
  samples: number;
  perClass: { class: number; name: string; correct: number; count: number }[];
  confusion: [number, number, number][];
  wallSeconds: number;
  backend: string;
}

interface EvaluationRow {
  id: number;
  run: string | null;
  checkpoint_id: number | null;
  checkpoint_path: string;
  checkpoint_sha256: string;
  checkpoint_epoch: number | null;
  dataset: string;
  k: number;
  sigma: number;
  recompute_memory: number;
  status: string;
  top1: number | null;
  top5: number | null;
  nn_top1: number | null;
  samples: number | null;
  per_class: string | null;
  confusion: string | null;
  wall_seconds: number | null;
  error: string | null;
  backend: string | null;
  created_at: string;
  ended_at: string | null;
  owner_pid: number | null;
  model: string | null;
}

const PerClassSchema = z.array(z.object({ class: z.int(), name: z.string(), correct: z.int(), count: z.int() }));
const ConfusionSchema = z.array(z.tuple([z.int(), z.int(), z.int()]));
const StatusSchema = z.enum(EVALUATION_STATUSES);

function parsedOr<T>(schema: z.ZodType<T>, json: string | null): T | null {
  if (json === null) return null;
  try {
    const r = schema.safeParse(JSON.parse(json));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

function toEvaluation(row: EvaluationRow): Evaluation {
  const status = StatusSchema.safeParse(row.status);
  return {
    id: row.id,
    runId: row.run,
    checkpointId: row.checkpoint_id,
    checkpointPath: row.checkpoint_path,
    checkpointSha256: row.checkpoint_sha256,
    checkpointEpoch: row.checkpoint_epoch,
    modelId: row.model,
    dataset: parsedOr(z.record(z.string(), z.unknown()), row.dataset) ?? {},
    k: row.k,
    sigma: row.sigma,
    recomputeMemory: row.recompute_memory === 1,
    status: status.success ? status.data : 'failed',
    top1: row.top1,
    top5: row.top5,
    nnTop1: row.nn_top1,
    samples: row.samples,
    perClass: parsedOr(PerClassSchema, row.per_class),
    confusion: parsedOr(ConfusionSchema, row.confusion),
    wallSeconds: row.wall_seconds,
    error: row.error,
    backend: row.backend,
    createdAt: row.created_at,
    endedAt: row.ended_at,
  };
}

const KEY_WHERE = 'checkpoint_sha256 = ? AND dataset = ? AND dataset_state = ? AND k = ? AND sigma = ? AND recompute_memory = ?';
const keyValues = (k: EvaluationKey) => [k.checkpointSha256, k.datasetJson, k.datasetState, k.k, k.sigma, k.recomputeMemory ? 1 : 0] as const;

export class EvaluationsRepository {
  constructor(private readonly db: Db) {}

  insert(e: NewEvaluation): Evaluation {
    const info = this.db
      .prepare(`INSERT INTO evaluations (run, checkpoint_id, checkpoint_path, checkpoint_sha256, checkpoint_epoch, dataset, k, sigma,
        recompute_memory, status, created_at, owner_pid, model, dataset_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)`)
      .run(e.runId, e.checkpointId, e.checkpointPath, e.checkpointSha256, e.checkpointEpoch, e.datasetJson, e.k, e.sigma, e.recomputeMemory ? 1 : 0, e.createdAt, e.ownerPid, e.modelId ?? null, e.datasetState);
    return this.get(Number(info.lastInsertRowid))!;
  }

  get(id: number): Evaluation | undefined {
    const row = this.db.prepare('SELECT * FROM evaluations WHERE id = ?').get(id) as EvaluationRow | undefined;
    return row ? toEvaluation(row) : undefined;
  }

  /** The completed evaluation of this key, if any (the cache hit). */
  findCompleted(key: EvaluationKey): Evaluation | undefined {
    const row = this.db.prepare(`SELECT * FROM evaluations WHERE status = 'completed' AND ${KEY_WHERE}`).get(...keyValues(key)) as EvaluationRow | undefined;
    return row ? toEvaluation(row) : undefined;
  }

  /** A running evaluation of this key owned by `ownerPid` (asked twice while it runs). */
  findRunning(key: EvaluationKey, ownerPid: number): Evaluation | undefined {
    const row = this.db
      .prepare(`SELECT * FROM evaluations WHERE status = 'running' AND owner_pid = ? AND ${KEY_WHERE} ORDER BY id DESC`)
      .get(ownerPid, ...keyValues(key)) as EvaluationRow | undefined;
    return row ? toEvaluation(row) : undefined;
  }

  listByRun(runId: string): Evaluation[] {
    return (this.db.prepare('SELECT * FROM evaluations WHERE run = ? ORDER BY id DESC').all(runId) as EvaluationRow[]).map(toEvaluation);
  }

  complete(id: number, r: EvaluationResult, endedAt: string): boolean {
    return (
      this.db
        .prepare(`UPDATE evaluations SET status = 'completed', top1 = ?, top5 = ?, nn_top1 = ?, samples = ?, per_class = ?, confusion = ?,
          wall_seconds = ?, backend = ?, ended_at = ?, error = NULL WHERE id = ? AND status = 'running'`)
        .run(r.top1, r.top5, r.nnTop1, r.samples, JSON.stringify(r.perClass), JSON.stringify(r.confusion), r.wallSeconds, r.backend, endedAt, id).changes === 1
    );
  }

  fail(id: number, error: string, endedAt: string): boolean {
    return this.db.prepare(`UPDATE evaluations SET status = 'failed', error = ?, ended_at = ? WHERE id = ? AND status = 'running'`).run(error, endedAt, id).changes === 1;
  }

  /** The per-sample results file of an evaluation (relative to the data folder), or null. */
  /** The distinct dataset specs evaluated on, as JSON. */
  datasetJsons(): string[] {
    return this.db.prepare('SELECT DISTINCT dataset FROM evaluations').pluck().all() as string[];
  }

  samplesPath(id: number): string | null {
    return (this.db.prepare('SELECT samples_path FROM evaluations WHERE id = ?').pluck().get(id) as string | null | undefined) ?? null;
  }

  setSamplesPath(id: number, relativePath: string): void {
    this.db.prepare('UPDATE evaluations SET samples_path = ? WHERE id = ?').run(relativePath, id);
  }

  cancel(id: number, endedAt: string): boolean {
    return this.db.prepare(`UPDATE evaluations SET status = 'cancelled', ended_at = ? WHERE id = ? AND status = 'running'`).run(endedAt, id).changes === 1;
  }

  /** Evaluations inserted or updated after change `version`, oldest change first, with their versions. */
  changedSince(version: number): { evaluation: Evaluation; version: number }[] {
    const rows = this.db.prepare('SELECT * FROM evaluations WHERE version > ? ORDER BY version').all(version) as (EvaluationRow & { version: number })[];
    return rows.map((row) => ({ evaluation: toEvaluation(row), version: row.version }));
  }

  /** The largest change version (0 for an empty table). */
  maxVersion(): number {
    return this.db.prepare('SELECT coalesce(max(version), 0) FROM evaluations').pluck().get() as number;
  }

  /** Running evaluations, for start-up recovery. */
  /** Removes an evaluation that never started (its submission was refused); false if it is not running. */
  deleteRunning(id: number): boolean {
    return this.db.prepare(`DELETE FROM evaluations WHERE id = ? AND status = 'running'`).run(id).changes === 1;
  }

  /** Ids of the running evaluations of an imported model. */
  runningOfModel(modelId: string): number[] {
    return this.db.prepare(`SELECT id FROM evaluations WHERE model = ? AND status = 'running' ORDER BY id`).pluck().all(modelId) as number[];
  }

  listRunning(): { id: number; ownerPid: number | null }[] {
    return (this.db.prepare(`SELECT id, owner_pid AS ownerPid FROM evaluations WHERE status = 'running'`).all() as { id: number; ownerPid: number | null }[]);
  }
}
