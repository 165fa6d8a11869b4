/**
 * The polling rhythm of what the app follows on clusters (runs, evaluations): a poll at most
 * every `periodMs` while anything is active, never two at once, sooner on request (after a
 * submission or a cancel), and none after close. Unless `keepAlive`, the timer does not keep
 * the process alive (a CLI that only submits ends; one that waits for the outcome must not).
 */
export interface PollLoopOptions {
  periodMs: number;
  poll(): Promise<void>;
  /** Whether anything is left to follow (else the loop stops until the next schedule). */
  active(): boolean;
  /** Keep the process alive while a poll is scheduled (default false). */
  keepAlive?: boolean;
}

export class PollLoop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly options: PollLoopOptions) {}

  get closed(): boolean {
    return this.stopped;
  }

  /** One poll now (joins the one in progress). */
  pollNow(): Promise<void> {
    this.running ??= this.options.poll().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Polls after `delayMs` (default the period); 0 brings a scheduled poll forward. */
  schedule(delayMs = this.options.periodMs): void {
    if (this.stopped) return;
    if (this.timer) {
      if (delayMs > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.pollNow().then(() => {
        if (this.options.active()) this.schedule();
      });
    }, delayMs);
    if (!this.options.keepAlive) this.timer.unref?.();
  }

  /** Starts polling at once if anything is active (on start-up: reconciles what was left). */
  start(): void {
    if (this.options.active()) this.schedule(0);
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}
