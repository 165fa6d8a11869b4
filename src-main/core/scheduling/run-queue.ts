/**
 * This process's queued runs, in the order they start: queue_position order as stored
 * (reordering may happen in any process), ties in the order they were queued here.
 */
import type { Store } from '../../store/store.ts';

export class RunQueue {
  private readonly ids: string[] = [];

  constructor(private readonly store: Store) {}

  get size(): number {
    return this.ids.length;
  }

  list(): string[] {
    return [...this.ids];
  }

  push(id: string): void {
    this.ids.push(id);
  }

  /** Removes `id`; false when it was not queued here. */
  remove(id: string): boolean {
    const at = this.ids.indexOf(id);
    if (at < 0) return false;
    this.ids.splice(at, 1);
    return true;
  }

  /** Takes the run that starts next. */
  next(): string | undefined {
    if (this.ids.length > 1) {
      const pos = this.store.runs.queuePositions(this.ids);
      const order = new Map(this.ids.map((id, i) => [id, i]));
      this.ids.sort((a, b) => (pos.get(a) ?? Infinity) - (pos.get(b) ?? Infinity) || order.get(a)! - order.get(b)!);
    }
    return this.ids.shift();
  }

  clear(): void {
    this.ids.length = 0;
  }
}
