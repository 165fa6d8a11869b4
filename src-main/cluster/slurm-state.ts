/**
 * Slurm job states mapped onto run states. Slurm reports a state per job (and per array
 * task); the app shows the same six run states as for a local run.
 */
import type { RunStatus } from '../../shared/domain.ts';

/** States a job passes through before it ends (squeue shows these). */
const ACTIVE: Readonly<Record<string, RunStatus>> = {
  PENDING: 'queued',
  CONFIGURING: 'queued',
  REQUEUED: 'interrupted',
  REQUEUE_HOLD: 'interrupted',
  REQUEUE_FED: 'interrupted',
  RESIZING: 'running',
  RUNNING: 'running',
  COMPLETING: 'running',
  SIGNALING: 'running',
  STAGE_OUT: 'running',
  SUSPENDED: 'running',
  STOPPED: 'running',
};

const ENDED: Readonly<Record<string, RunStatus>> = {
  COMPLETED: 'completed',
  FAILED: 'failed',
  OUT_OF_MEMORY: 'failed',
  BOOT_FAIL: 'failed',
  DEADLINE: 'interrupted',
  CANCELLED: 'cancelled',
  TIMEOUT: 'interrupted',
  PREEMPTED: 'interrupted',
  NODE_FAIL: 'interrupted',
  REVOKED: 'cancelled',
  SPECIAL_EXIT: 'failed',
};

export interface MappedState {
  status: RunStatus;
  /** Whether Slurm is done with the job (no later state will follow). */
  ended: boolean;
}

/**
 * Maps a Slurm state as squeue, scontrol or sacct print it ("CANCELLED by 0", "RUNNING",
 * "OUT_OF_MEMORY+") to ours; null for a state this table does not know.
 */
export function mapSlurmState(raw: string): MappedState | null {
  const word = raw.trim().split(/[\s+]/)[0]?.toUpperCase() ?? '';
  const active = ACTIVE[word];
  if (active) return { status: active, ended: false };
  const ended = ENDED[word];
  if (ended) return { status: ended, ended: true };
  return null;
}
