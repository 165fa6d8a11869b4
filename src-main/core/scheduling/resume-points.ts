/**
 * The checkpoint each queued run continues from when its job starts: the one a resume
 * chose (run-resume.ts plans it), else, for a run queued by a resume in another (since
 * stopped) process, its latest checkpoint rather than starting over and overwriting it.
 */
import type { Store } from '../../store/store.ts';

export interface ResumePoint {
  path: string;
  sha256: string;
}

export class ResumePoints {
  private readonly chosen = new Map<string, ResumePoint>();

  constructor(private readonly store: Store) {}

  /** Records the resume's choice; null: the run starts over. */
  set(id: string, point: ResumePoint | null): void {
    if (point) this.chosen.set(id, point);
    else this.chosen.delete(id);
  }

  /** Where the run's job starts from, forgetting the recorded choice. */
  take(id: string): ResumePoint | undefined {
    const point = this.chosen.get(id) ?? this.latestCheckpointOf(id);
    this.chosen.delete(id);
    return point;
  }

  private latestCheckpointOf(id: string): ResumePoint | undefined {
    const latest = this.store.checkpoints.list(id).filter((c) => c.kind === 'latest').sort((a, b) => b.epoch - a.epoch)[0];
    return latest ? { path: latest.path, sha256: latest.sha256 } : undefined;
  }
}
