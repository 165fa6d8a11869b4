/**
 * Runs one job in a worker_thread on behalf of a service, whatever its kind (training,
 * evaluation, …); job-thread.ts puts the thread in a process of its own when the job's
 * device pin needs one. A kind supplies the worker entry, the zod schema of the worker's messages
 * and what to do with each; the supervisor does the rest, the same way for every kind:
 * - every message is parsed with the kind's schema (a worker is a separate program: it may
 *   be killed halfway through a postMessage or run a different build); one that does not
 *   parse stops the job;
 * - rows the kind buffers are written in one transaction every `flushIntervalMs` or
 *   `flushRows` rows, retried, and the job is stopped after repeated failures;
 * - cancel posts `{ type: 'cancel' }` and terminates the worker after `cancelGraceMs`;
 * - a worker that throws, exits without reporting, or cannot be started ends `failed`
 *   with a message saying so.
 * The supervisor changes no record's status: it resolves `ended` with a JobOutcome and the
 * service that started the job records it.
 */
import type { z } from 'zod';
import type { EndedStatus } from '../../../shared/domain.ts';
import { describeIssues, issuesOf } from '../../../shared/validation.ts';
import type { ToWorker } from '../../workers/job-protocol.ts';
import type { WorkerEntry } from '../../workers/worker-entry.ts';
import type { JobPinning } from '../scheduling/device-pinning.ts';
import { startJobThread, type JobThread } from './job-thread.ts';

export interface JobTiming {
  /** Longest time buffered rows wait in memory before being written. */
  flushIntervalMs: number;
  /** Buffered rows that trigger an immediate write. */
  flushRows: number;
  /** How long a cancelled worker may take to stop before it is terminated. */
  cancelGraceMs: number;
  /** How long a worker may linger after reporting its end before it is terminated. */
  exitGraceMs: number;
}

export const DEFAULT_JOB_TIMING: JobTiming = { flushIntervalMs: 250, flushRows: 5000, cancelGraceMs: 10_000, exitGraceMs: 5_000 };

export interface JobOutcome {
  status: EndedStatus;
  error: string | null;
}

/** How the worker said its job ended (the first report counts). */
export type JobReport = { status: 'completed' | 'cancelled' } | { error: string };

export interface JobHandle {
  /** Asks the worker to stop; it is terminated if it has not ended after the grace period. */
  cancel(): void;
  /** Stops the worker now (the app is closing); the job ends interrupted with `reason`. */
  interrupt(reason: string): void;
  readonly ended: Promise<JobOutcome>;
}

/** What a kind's message handler may do besides writing directly. */
export interface JobControl<Row> {
  /** Queues rows for the next batched write. */
  buffer(...rows: Row[]): void;
  /** Writes the buffered rows now (e.g. so an epoch's metrics land before its checkpoint row). */
  flush(): void;
  /** The worker reported the end of its job; it is terminated if it lingers past the exit grace. */
  report(end: JobReport): void;
}

export interface JobKind<Message extends { type: string }, Row> {
  /** Names the worker and the job in messages: "The training worker crashed", "the run was stopped". */
  readonly workerNoun: string;
  readonly jobNoun: string;
  /** Prefix of operator diagnostics ("run 3f2a", "evaluation 7"). */
  readonly subject: string;
  readonly entry: WorkerEntry;
  /** The job description given to the worker as `workerData`. */
  readonly job: unknown;
  readonly messages: z.ZodType<Message>;
  /** The device the job is pinned to (see scheduling/device-pinning.ts); none: unpinned. */
  readonly pin?: JobPinning | undefined;
  /** Handles one parsed message; an exception is reported to the operator and the job goes on. */
  onMessage(message: Message, control: JobControl<Row>): void;
  /** Writes rows in one transaction and publishes them; throws to have them kept and retried. */
  persist(rows: Row[]): void;
  /** A row recording why the job failed or was interrupted (e.g. an error log line), if the kind keeps one. */
  noteRow?(level: 'error' | 'warn', message: string): Row;
}

export interface SupervisorDeps {
  timing: JobTiming;
  /** Diagnostics for the operator (stderr), not a job's records. */
  diagnostics(line: string): void;
}

const MAX_FLUSH_FAILURES = 3;
const MAX_DETAIL_CHARS = 400;

export function superviseJob<Message extends { type: string }, Row>(deps: SupervisorDeps, kind: JobKind<Message, Row>): JobHandle {
  return new SupervisedJob(deps, kind);
}

class SupervisedJob<Message extends { type: string }, Row> implements JobHandle {
  readonly ended: Promise<JobOutcome>;
  private resolveEnded!: (o: JobOutcome) => void;
  private worker: JobThread | null = null;
  private exited = false;

  private rows: Row[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private cancelTimer: NodeJS.Timeout | null = null;
  private exitTimer: NodeJS.Timeout | null = null;
  private flushFailures = 0;

  private reported: JobReport | null = null;
  private protocolError: string | null = null;
  private storageError: string | null = null;
  private crash: string | null = null;
  private interruptReason: string | null = null;
  private cancelRequested = false;
  private readonly control: JobControl<Row>;

  constructor(
    private readonly deps: SupervisorDeps,
    private readonly kind: JobKind<Message, Row>,
  ) {
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    this.control = {
      buffer: (...rows) => {
        this.rows.push(...rows);
        this.scheduleFlush();
      },
      flush: () => void this.flush(),
      report: (end) => {
        this.reported ??= end;
        this.flush();
        this.armExitTimer();
      },
    };
    try {
      this.worker = startJobThread(kind.entry, { workerData: kind.job, name: `${kind.workerNoun} ${kind.subject}`, pin: kind.pin });
    } catch (err) {
      this.exited = true;
      const message = `Could not start the ${kind.workerNoun} worker: ${messageOf(err)}`;
      this.note('error', message);
      this.flush();
      queueMicrotask(() => this.resolveEnded({ status: 'failed', error: message }));
      return;
    }
    const w = this.worker;
    w.on('message', (raw: unknown) => this.onMessage(raw));
    w.on('messageerror', (err) => this.onProtocolViolation(`a message could not be deserialised: ${messageOf(err)}`));
    w.on('error', (err) => {
      this.crash ??= messageOf(err);
    });
    w.on('exit', (code) => this.onExit(code));
  }

  cancel(): void {
    if (this.cancelRequested || this.exited || !this.worker) return;
    this.cancelRequested = true;
    const msg: ToWorker = { type: 'cancel' };
    try {
      this.worker.postMessage(msg);
    } catch (err) {
      this.deps.diagnostics(`${this.kind.subject}: could not post cancel to the worker: ${messageOf(err)}`);
    }
    this.cancelTimer = setTimeout(() => {
      this.deps.diagnostics(`${this.kind.subject}: the worker did not stop within ${this.deps.timing.cancelGraceMs} ms of cancel; terminating it`);
      void this.worker?.terminate();
    }, this.deps.timing.cancelGraceMs);
  }

  interrupt(reason: string): void {
    if (this.exited || !this.worker) return;
    this.interruptReason ??= reason;
    void this.worker.terminate();
  }

  private onMessage(raw: unknown): void {
    if (this.exited || this.protocolError) return;
    const parsed = this.kind.messages.safeParse(raw);
    if (!parsed.success) {
      this.onProtocolViolation(`${describeMessage(raw)}: ${describeIssues(issuesOf(parsed.error))}`);
      return;
    }
    try {
      this.kind.onMessage(parsed.data, this.control);
    } catch (err) {
      // A database error while handling one message: keep the job going, tell the operator.
      this.deps.diagnostics(`${this.kind.subject}: could not record a '${parsed.data.type}' message: ${messageOf(err)}`);
    }
  }

  private note(level: 'error' | 'warn', message: string): void {
    if (this.kind.noteRow) this.rows.push(this.kind.noteRow(level, message));
  }

  private onProtocolViolation(detail: string): void {
    if (this.protocolError) return;
    const { workerNoun, jobNoun } = this.kind;
    this.protocolError = `The ${workerNoun} worker sent a message that does not follow the protocol (${truncate(detail)}); the ${jobNoun} was stopped.`;
    this.note('error', this.protocolError);
    this.flush();
    void this.worker?.terminate();
  }

  private scheduleFlush(): void {
    if (this.rows.length >= this.deps.timing.flushRows) {
      this.flush();
      return;
    }
    if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        this.flush();
      }, this.deps.timing.flushIntervalMs);
    }
  }

  /** Writes the buffered rows through the kind; on failure keeps them (in order) for a retry. */
  private flush(): boolean {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    if (this.rows.length === 0) return true;
    const rows = this.rows;
    this.rows = [];
    try {
      this.kind.persist(rows);
    } catch (err) {
      this.rows = rows.concat(this.rows);
      this.flushFailures += 1;
      this.deps.diagnostics(`${this.kind.subject}: writing ${rows.length} rows failed (${this.flushFailures}×): ${messageOf(err)}`);
      if (this.flushFailures >= MAX_FLUSH_FAILURES && !this.storageError) {
        this.storageError = `The ${this.kind.jobNoun}'s records could not be saved to the database: ${messageOf(err)}. The ${this.kind.jobNoun} was stopped.`;
        void this.worker?.terminate();
      } else if (!this.exited) {
        this.scheduleFlush();
      }
      return false;
    }
    this.flushFailures = 0;
    return true;
  }

  private armExitTimer(): void {
    if (this.exitTimer || this.exited) return;
    this.exitTimer = setTimeout(() => void this.worker?.terminate(), this.deps.timing.exitGraceMs);
  }

  private onExit(code: number): void {
    if (this.exited) return;
    this.exited = true;
    for (const t of [this.flushTimer, this.cancelTimer, this.exitTimer]) if (t) clearTimeout(t);
    this.flushTimer = this.cancelTimer = this.exitTimer = null;
    const outcome = this.decide(code);
    if (outcome.status === 'failed' && outcome.error && outcome.error !== this.protocolError && !(this.reported && 'error' in this.reported)) {
      this.note('error', outcome.error);
    } else if (outcome.status === 'interrupted' && outcome.error) {
      this.note('warn', outcome.error);
    }
    if (!this.flush()) this.deps.diagnostics(`${this.kind.subject}: ${this.rows.length} rows could not be saved`);
    this.resolveEnded(outcome);
  }

  private decide(code: number): JobOutcome {
    const { workerNoun, jobNoun } = this.kind;
    if (this.protocolError) return { status: 'failed', error: this.protocolError };
    if (this.storageError) return { status: 'failed', error: this.storageError };
    const r = this.reported;
    if (r && 'status' in r) return { status: r.status, error: null };
    if (r && 'error' in r) return { status: 'failed', error: r.error };
    if (this.interruptReason) return { status: 'interrupted', error: this.interruptReason };
    if (this.crash) return { status: 'failed', error: `The ${workerNoun} worker crashed: ${this.crash}` };
    if (this.cancelRequested) return { status: 'cancelled', error: null };
    return { status: 'failed', error: `The ${workerNoun} worker exited (code ${code}) without reporting the end of the ${jobNoun}.` };
  }
}

function describeMessage(raw: unknown): string {
  if (raw !== null && typeof raw === 'object' && 'type' in raw) {
    const t = (raw as { type: unknown }).type;
    return `message of type ${JSON.stringify(t)}`.slice(0, 80);
  }
  return `message ${typeof raw === 'string' ? JSON.stringify(raw.slice(0, 40)) : typeof raw}`;
}

function truncate(s: string): string {
  return s.length > MAX_DETAIL_CHARS ? `${s.slice(0, MAX_DETAIL_CHARS)}…` : s;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
