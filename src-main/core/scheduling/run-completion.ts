/** Promises of callers waiting for runs to end (`whenEnded`), settled by the scheduler. */
import type { RunSummary } from '../../../shared/domain.ts';

interface Waiter {
  resolve(s: RunSummary): void;
  reject(e: Error): void;
}

export class RunCompletion {
  private readonly waiters = new Map<string, Waiter[]>();

  wait(id: string): Promise<RunSummary> {
    return new Promise((resolve, reject) => {
      const list = this.waiters.get(id) ?? [];
      list.push({ resolve, reject });
      this.waiters.set(id, list);
    });
  }

  /** Settles every waiter of `id`: with the summary, or with `error` when there is none. */
  settle(id: string, summary: RunSummary | undefined, error: () => Error): void {
    const list = this.waiters.get(id);
    if (!list) return;
    this.waiters.delete(id);
    for (const w of list) {
      if (summary) w.resolve(summary);
      else w.reject(error());
    }
  }
}
