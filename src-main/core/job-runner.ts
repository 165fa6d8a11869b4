/**
 * Runs one training job in a worker_thread and turns its messages into stored rows and
 * events. Every message is parsed with FromWorkerSchema: the worker is treated as a
 * separate program. Metrics and logs are buffered and written in one transaction every
 * `flushIntervalMs` or `flushRows` rows. The runner never changes the run's status: it
 * reports a JobOutcome and the scheduler records it.
 */
import { Worker } from 'node:worker_threads';
import type { EndedStatus, MetricPoint } from '../../shared/domain.ts';
import { describeIssues, issuesOf } from '../../shared/validation.ts';
import { FromWorkerSchema, type FromWorker, type ToWorker, type TrainJob } from '../workers/train-protocol.ts';
import type { NewLogLine } from '../store/logs-repository.ts';
import type { Store } from '../store/store.ts';
import type { EventBus } from './event-bus.ts';
import { summarizeRun } from './run-summaries.ts';
import type { WorkerEntry } from '../workers/worker-entry.ts';

export interface JobTiming {
  /** Longest time metrics wait in memory before being written. */
  flushIntervalMs: number;
  /** Buffered rows that trigger an immediate write. */
  flushRows: number;
  /** How long a cancelled worker may take to stop before it is terminated. */
  cancelGraceMs: number;
  /** How long a worker may linger after reporting done/error before it is terminated. */
  exitGraceMs: number;
}

export const DEFAULT_JOB_TIMING: JobTiming = { flushIntervalMs: 250, flushRows: 5000, cancelGraceMs: 10_000, exitGraceMs: 5_000 };

export interface JobRunnerDeps {
  store: Store;
  bus: EventBus;
  entry: WorkerEntry;
  timing: JobTiming;
  /** Diagnostics for the operator (stderr), not the run log. */
  diagnostics: (line: string) => void;
}

export interface JobOutcome {
  status: EndedStatus;
  error: string | null;
}

export interface TrainingJobHandle {
  readonly runId: string;
  /** Asks the worker to stop; it is terminated if it has not ended after the grace period. */
  cancel(): void;
  /** Stops the worker now (the app is closing); the run ends interrupted. */
  interrupt(reason: string): void;
  readonly ended: Promise<JobOutcome>;
}

const MAX_FLUSH_FAILURES = 3;
const MAX_DETAIL_CHARS = 400;

export function startTrainingJob(deps: JobRunnerDeps, job: TrainJob): TrainingJobHandle {
  return new TrainingJob(deps, job);
}

class TrainingJob implements TrainingJobHandle {
  readonly runId: string;
  readonly ended: Promise<JobOutcome>;
  private resolveEnded!: (o: JobOutcome) => void;
  private worker: Worker | null = null;
  private exited = false;

  private points: MetricPoint[] = [];
  private logs: NewLogLine[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private cancelTimer: NodeJS.Timeout | null = null;
  private exitTimer: NodeJS.Timeout | null = null;
  private flushFailures = 0;
  private epochsDone = 0;

  private reported: { status: 'completed' | 'cancelled' } | { error: string } | null = null;
  private protocolError: string | null = null;
  private storageError: string | null = null;
  private crash: string | null = null;
  private interruptReason: string | null = null;
  private cancelRequested = false;

  constructor(
    private readonly deps: JobRunnerDeps,
    job: TrainJob,
  ) {
    this.runId = job.runId;
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    try {
      this.worker = new Worker(deps.entry.url, { workerData: job, execArgv: deps.entry.execArgv, name: `train ${job.runId}` });
    } catch (err) {
      this.exited = true;
      const message = `Could not start the training worker: ${messageOf(err)}`;
      this.logs.push({ level: 'error', message, wallTime: Date.now() });
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
      this.deps.diagnostics(`run ${this.runId}: could not post cancel to the worker: ${messageOf(err)}`);
    }
    this.cancelTimer = setTimeout(() => {
      this.deps.diagnostics(`run ${this.runId}: the worker did not stop within ${this.deps.timing.cancelGraceMs} ms of cancel; terminating it`);
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
    const parsed = FromWorkerSchema.safeParse(raw);
    if (!parsed.success) {
      this.onProtocolViolation(`${describeMessage(raw)}: ${describeIssues(issuesOf(parsed.error))}`);
      return;
    }
    try {
      this.handle(parsed.data);
    } catch (err) {
      // A database error while handling one message: keep the run going, tell the operator.
      this.deps.diagnostics(`run ${this.runId}: could not record a '${parsed.data.type}' message: ${messageOf(err)}`);
    }
  }

  private handle(msg: FromWorker): void {
    const { store, bus } = this.deps;
    switch (msg.type) {
      case 'started':
        store.runs.setBackend(this.runId, msg.backend, msg.device);
        this.emitChanged();
        return;
      case 'progress': {
        bus.emit('run.progress', { runId: this.runId, ...msg.progress });
        // While training/evaluating epoch e (1-based) e-1 epochs are done; at its checkpoint, e are.
        const done = msg.progress.phase === 'checkpoint' ? msg.progress.epoch : msg.progress.epoch - 1;
        this.raiseEpochsDone(done);
        return;
      }
      case 'metrics':
        this.points.push(...msg.points);
        this.scheduleFlush();
        return;
      case 'log':
        this.logs.push({ level: msg.level, message: msg.message, wallTime: Date.now() });
        this.scheduleFlush();
        return;
      case 'checkpoint': {
        this.flush(); // metrics of the epoch land before its checkpoint row
        store.checkpoints.record(this.runId, msg.checkpoint, new Date().toISOString());
        if (!this.raiseEpochsDone(msg.checkpoint.epoch)) this.emitChanged();
        return;
      }
      case 'done':
        this.reported ??= { status: msg.status };
        this.flush();
        this.armExitTimer();
        return;
      case 'error':
        this.reported ??= { error: msg.message };
        this.logs.push({ level: 'error', message: msg.detail ? `${msg.message}\n${msg.detail}` : msg.message, wallTime: Date.now() });
        this.flush();
        this.armExitTimer();
        return;
    }
  }

  private raiseEpochsDone(done: number): boolean {
    if (done <= this.epochsDone) return false;
    this.epochsDone = done;
    if (this.deps.store.runs.raiseEpochsDone(this.runId, done)) {
      this.emitChanged();
      return true;
    }
    return false;
  }

  private onProtocolViolation(detail: string): void {
    if (this.protocolError) return;
    this.protocolError = `The training worker sent a message that does not follow the protocol (${truncate(detail)}); the run was stopped.`;
    this.logs.push({ level: 'error', message: this.protocolError, wallTime: Date.now() });
    this.flush();
    void this.worker?.terminate();
  }

  private scheduleFlush(): void {
    if (this.points.length + this.logs.length >= this.deps.timing.flushRows) {
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

  /** Writes buffered metrics and logs in one transaction, then publishes them. */
  private flush(): boolean {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    if (this.points.length === 0 && this.logs.length === 0) return true;
    const points = this.points;
    const lines = this.logs;
    this.points = [];
    this.logs = [];
    const { store, bus } = this.deps;
    let written;
    try {
      written = store.transaction(() => {
        store.metrics.insert(this.runId, points);
        return store.logs.append(this.runId, lines);
      });
    } catch (err) {
      // Keep the rows (in order) and retry; give up on the run after repeated failures.
      this.points = points.concat(this.points);
      this.logs = lines.concat(this.logs);
      this.flushFailures += 1;
      this.deps.diagnostics(`run ${this.runId}: writing ${points.length} metric rows failed (${this.flushFailures}×): ${messageOf(err)}`);
      if (this.flushFailures >= MAX_FLUSH_FAILURES && !this.storageError) {
        this.storageError = `Metrics could not be saved to the database: ${messageOf(err)}. The run was stopped.`;
        void this.worker?.terminate();
      } else if (!this.exited) {
        this.scheduleFlush();
      }
      return false;
    }
    this.flushFailures = 0;
    if (points.length > 0) bus.emit('run.metrics', { runId: this.runId, points });
    for (const entry of written) bus.emit('run.log', entry);
    if (points.length > 0) this.emitChanged();
    return true;
  }

  private armExitTimer(): void {
    if (this.exitTimer || this.exited) return;
    this.exitTimer = setTimeout(() => void this.worker?.terminate(), this.deps.timing.exitGraceMs);
  }

  private emitChanged(): void {
    const summary = summarizeRun(this.deps.store, this.runId);
    if (summary) this.deps.bus.emit('run.changed', summary);
  }

  private onExit(code: number): void {
    if (this.exited) return;
    this.exited = true;
    for (const t of [this.flushTimer, this.cancelTimer, this.exitTimer]) if (t) clearTimeout(t);
    this.flushTimer = this.cancelTimer = this.exitTimer = null;
    const outcome = this.decide(code);
    if (outcome.status === 'failed' && outcome.error && outcome.error !== this.protocolError && !(this.reported && 'error' in this.reported)) {
      this.logs.push({ level: 'error', message: outcome.error, wallTime: Date.now() });
    } else if (outcome.status === 'interrupted' && outcome.error) {
      this.logs.push({ level: 'warn', message: outcome.error, wallTime: Date.now() });
    }
    if (!this.flush()) {
      this.deps.diagnostics(`run ${this.runId}: ${this.points.length} metric rows and ${this.logs.length} log lines could not be saved`);
    }
    this.resolveEnded(outcome);
  }

  private decide(code: number): JobOutcome {
    if (this.protocolError) return { status: 'failed', error: this.protocolError };
    if (this.storageError) return { status: 'failed', error: this.storageError };
    const r = this.reported;
    if (r && 'status' in r) return { status: r.status, error: null };
    if (r && 'error' in r) return { status: 'failed', error: r.error };
    if (this.interruptReason) return { status: 'interrupted', error: this.interruptReason };
    if (this.crash) return { status: 'failed', error: `The training worker crashed: ${this.crash}` };
    if (this.cancelRequested) return { status: 'cancelled', error: null };
    return { status: 'failed', error: `The training worker exited (code ${code}) without reporting the end of the run.` };
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
