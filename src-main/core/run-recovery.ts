/**
 * Start-up recovery. A queued or running row names the process that owns it (owner_pid)
 * and that process refreshes heartbeat_at every few seconds. A row is orphaned when its
 * owner is gone or has not been heard of for `staleAfterMs` (which also covers a recycled
 * pid). Orphaned running rows become `interrupted`; orphaned queued rows are reported so a
 * long-lived process can adopt them. A run another live process is training is left alone.
 */
import type { RunRecord } from '../store/runs-repository.ts';
import type { Store } from '../store/store.ts';

export interface OwnershipCheck {
  now: number;
  staleAfterMs: number;
  isAlive(pid: number): boolean;
}

export interface RecoveryReport {
  /** Running rows of dead processes, now interrupted. */
  interrupted: string[];
  /** Queued rows of dead processes, oldest first (still queued). */
  orphanedQueued: RunRecord[];
  /** Active rows whose owner is alive: untouched. */
  ownedElsewhere: string[];
}

export function isOrphaned(run: Pick<RunRecord, 'ownerPid' | 'heartbeatAt'>, check: OwnershipCheck): boolean {
  if (run.ownerPid === null || run.heartbeatAt === null) return true;
  if (check.now - run.heartbeatAt > check.staleAfterMs) return true;
  return !check.isAlive(run.ownerPid);
}

export function recoverOrphanedRuns(store: Store, check: OwnershipCheck): RecoveryReport {
  const report: RecoveryReport = { interrupted: [], orphanedQueued: [], ownedElsewhere: [] };
  for (const run of store.runs.listActive()) {
    if (!isOrphaned(run, check)) {
      report.ownedElsewhere.push(run.id);
      continue;
    }
    if (run.status === 'queued') {
      report.orphanedQueued.push(run);
      continue;
    }
    const who = run.ownerPid === null ? 'The process training this run' : `The process training this run (pid ${run.ownerPid})`;
    const ok = store.runs.transition(run.id, ['running'], 'interrupted', {
      endedAt: new Date(check.now).toISOString(),
      error: `${who} stopped without finishing it (crash, forced quit or power loss). Metrics, logs and checkpoints written until then are kept.`,
    });
    if (ok) report.interrupted.push(run.id);
  }
  return report;
}
