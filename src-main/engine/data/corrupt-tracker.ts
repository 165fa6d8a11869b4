/**
 * Counts unreadable images of a split and stops the run once they exceed the tolerated
 * fraction (default 0.1%, as a few broken files in a large crawl are normal).
 */
import { CorruptDataError } from './data-errors.ts';

export interface BadSample {
  readonly index: number;
  readonly path: string;
  readonly reason: string;
}

export class CorruptTracker {
  private readonly bad = new Map<number, BadSample>();

  constructor(
    /** The split folder, named in the error. */
    readonly where: string,
    readonly total: number,
    readonly threshold: number,
    private readonly log: (msg: string) => void,
  ) {}

  get count(): number {
    return this.bad.size;
  }

  has(index: number): boolean {
    return this.bad.has(index);
  }

  list(): BadSample[] {
    return [...this.bad.values()].sort((a, b) => a.index - b.index);
  }

  /** Adds newly found bad samples (each logged once); throws CorruptDataError above the threshold. */
  record(samples: readonly BadSample[]): void {
    for (const s of samples) {
      if (this.bad.has(s.index)) continue;
      this.bad.set(s.index, s);
      this.log(`Skipping unreadable image ${s.path}: ${s.reason}`);
    }
    this.check();
  }

  check(): void {
    if (this.bad.size > this.threshold * this.total) {
      throw new CorruptDataError(this.where, this.list(), this.total, this.threshold);
    }
  }
}
