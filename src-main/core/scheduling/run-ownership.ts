/**
 * The runs this process owns (queued or running rows carrying its pid) and the heartbeat
 * that tells other processes sharing the database that the owner is alive; see
 * run-recovery.ts for how a dead owner is recognised.
 */
import type { RunRecord } from '../../store/runs-repository.ts';
import type { Store } from '../../store/store.ts';
import { isOrphaned } from '../run-recovery.ts';

export interface OwnershipOptions {
  pid: number;
  staleAfterMs: number;
  isAlive(pid: number): boolean;
  now(): number;
}

export class RunOwnership {
  private readonly owned = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly options: OwnershipOptions,
  ) {}

  get size(): number {
    return this.owned.size;
  }

  has(id: string): boolean {
    return this.owned.has(id);
  }

  add(id: string): void {
    this.owned.add(id);
  }

  delete(id: string): void {
    this.owned.delete(id);
  }

  /** Refreshes the heartbeat of every owned row; returns the owned ids another process asked to cancel. */
  heartbeat(): string[] {
    const ids = [...this.owned];
    this.store.runs.heartbeat(ids, this.options.pid, this.options.now());
    return this.store.runs.cancelRequested(ids);
  }

  /** Whether `record`'s owner is gone (dead pid or a stale heartbeat), so nobody will finish it. */
  isOrphaned(record: RunRecord): boolean {
    return isOrphaned(record, { now: this.options.now(), staleAfterMs: this.options.staleAfterMs, isAlive: this.options.isAlive });
  }
}
