/**
 * Checkpoint records. `latest` and `best` files are overwritten in place by the trainer,
 * so a run keeps one row per such kind (replaced); `epoch` checkpoints keep one row per epoch.
 */
import { z } from 'zod';
import { CHECKPOINT_KINDS, type Checkpoint } from '../../shared/domain.ts';
import type { Db } from './migrator.ts';

export type NewCheckpoint = Omit<Checkpoint, 'id' | 'runId' | 'createdAt'>;

interface CheckpointRow {
  id: number;
  run: string;
  epoch: number;
  kind: string;
  path: string;
  metrics: string;
  sha256: string;
  bytes: number;
  created_at: string;
}

const KindSchema = z.enum(CHECKPOINT_KINDS);
const StoredMetricsSchema = z.record(z.string(), z.number());

function toCheckpoint(row: CheckpointRow): Checkpoint {
  let metrics: Record<string, number> = {};
  try {
    const parsed = StoredMetricsSchema.safeParse(JSON.parse(row.metrics));
    if (parsed.success) metrics = parsed.data;
  } catch {
    // json_valid() guards the column; an unexpected shape only loses the summary, not the checkpoint.
  }
  const kind = KindSchema.safeParse(row.kind);
  return {
    id: row.id,
    runId: row.run,
    epoch: row.epoch,
    kind: kind.success ? kind.data : 'epoch',
    path: row.path,
    sha256: row.sha256,
    bytes: row.bytes,
    metrics,
    createdAt: row.created_at,
  };
}

export class CheckpointsRepository {
  private readonly insertStmt;
  private readonly deleteKindStmt;
  private readonly deleteEpochStmt;
  private readonly listStmt;
  private readonly getStmt;
  private readonly recordTx;
  private readonly findByPathStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(`INSERT INTO checkpoints (run, epoch, kind, path, metrics, sha256, bytes, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.deleteKindStmt = db.prepare('DELETE FROM checkpoints WHERE run = ? AND kind = ?');
    this.deleteEpochStmt = db.prepare(`DELETE FROM checkpoints WHERE run = ? AND kind = 'epoch' AND epoch = ?`);
    this.listStmt = db.prepare('SELECT * FROM checkpoints WHERE run = ? ORDER BY epoch, id');
    this.getStmt = db.prepare('SELECT * FROM checkpoints WHERE id = ?');
    this.findByPathStmt = db.prepare('SELECT * FROM checkpoints WHERE path = ? ORDER BY id DESC LIMIT 1');
    this.recordTx = db.transaction((runId: string, c: NewCheckpoint, createdAt: string): number => {
      if (c.kind === 'epoch') this.deleteEpochStmt.run(runId, c.epoch);
      else this.deleteKindStmt.run(runId, c.kind);
      const info = this.insertStmt.run(runId, c.epoch, c.kind, c.path, JSON.stringify(c.metrics), c.sha256, c.bytes, createdAt);
      return Number(info.lastInsertRowid);
    });
  }

  record(runId: string, c: NewCheckpoint, createdAt: string): Checkpoint {
    const id = this.recordTx(runId, c, createdAt);
    return toCheckpoint(this.getStmt.get(id) as CheckpointRow);
  }

  list(runId: string): Checkpoint[] {
    return (this.listStmt.all(runId) as CheckpointRow[]).map(toCheckpoint);
  }

  get(id: number): Checkpoint | undefined {
    const row = this.getStmt.get(id) as CheckpointRow | undefined;
    return row ? toCheckpoint(row) : undefined;
  }

  /** The newest row recording this file path, if any. */
  findByPath(path: string): Checkpoint | undefined {
    const row = this.findByPathStmt.get(path) as CheckpointRow | undefined;
    return row ? toCheckpoint(row) : undefined;
  }
}
