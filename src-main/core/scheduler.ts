/**
 * The scheduler owns run states: it is the only code that moves a run between queued,
 * running and the terminal states. It starts this process's queued runs while a slot is
 * free (scheduling/device-slots.ts: one per GPU the app may use, each run pinned to its
 * device; else 1 unpinned by default) and records each job's outcome. What it keeps track of lives
 * in scheduling/: the queue (run-queue.ts), the owned rows and their heartbeat
 * (run-ownership.ts), where resumed runs continue (resume-points.ts, planned by
 * run-resume.ts), reorder/remove checks (queue-ordering.ts) and the callers waiting for
 * runs to end (run-completion.ts).
 */
import { mkdirSync } from 'node:fs';
import { ApiError } from '../../shared/api-error.ts';
import { ACTIVE_STATUSES, isActiveStatus, RESUMABLE_STATUSES, type BackendName, type RunStatus, type RunSummary } from '../../shared/domain.ts';
import { RunConfigSchema } from '../../shared/run-config.ts';
import { describeIssues, safeParseWith } from '../../shared/validation.ts';
import type { ComputeDevice } from '../../shared/compute-devices.ts';
import type { TrainJob } from '../workers/train-protocol.ts';
import type { RunRecord } from '../store/runs-repository.ts';
import type { Store } from '../store/store.ts';
import type { DataPaths } from './data-home.ts';
import type { EventBus } from './event-bus.ts';
import type { JobHandle, JobOutcome } from './jobs/job-supervisor.ts';
import { planResume } from './run-resume.ts';
import { removeQueuedRun, reorderQueuedRuns } from './scheduling/queue-ordering.ts';
import { ResumePoints } from './scheduling/resume-points.ts';
import { RunCompletion } from './scheduling/run-completion.ts';
import { RunOwnership } from './scheduling/run-ownership.ts';
import { RunQueue } from './scheduling/run-queue.ts';
import { DeviceSlots, type Slot } from './scheduling/device-slots.ts';
import { summarizeRun } from './run-summaries.ts';

export interface SchedulerOptions {
  /** Concurrent training jobs of this process when it has no device slots (`deps.slots`). */
  slots: number;
  pid: number;
  heartbeatMs: number;
  staleAfterMs: number;
  /** Forced compute backend for jobs started here. */
  backend?: BackendName;
  isAlive(pid: number): boolean;
  now(): number;
}

export interface SchedulerDeps {
  store: Store;
  bus: EventBus;
  paths: DataPaths;
  /** Starts the run's job, pinned to `device` (null: unpinned). */
  launch(job: TrainJob, device: ComputeDevice | null): JobHandle;
  diagnostics(line: string): void;
  /** The slots shared with the other kinds of jobs; default `options.slots` unpinned training slots. */
  slots?: DeviceSlots;
}


export class Scheduler {
  private readonly queue: RunQueue;
  private readonly running = new Map<string, JobHandle>();
  private readonly slotOf = new Map<string, Slot>();
  private readonly slots: DeviceSlots;
  /** Queued and running ids whose rows carry our pid. */
  private readonly owned: RunOwnership;
  private readonly resumeFrom: ResumePoints;
  private readonly completion = new RunCompletion();
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly deps: SchedulerDeps,
    private readonly options: SchedulerOptions,
  ) {
    this.queue = new RunQueue(deps.store);
    this.owned = new RunOwnership(deps.store, options);
    this.resumeFrom = new ResumePoints(deps.store);
    this.slots = deps.slots ?? new DeviceSlots([], options.slots);
    this.slots.onFreed(() => this.pump());
    this.timer = setInterval(() => this.tick(), options.heartbeatMs);
    this.timer.unref();
  }

  /** Takes a queued row (already owned by this process) into the queue. */
  enqueue(id: string): void {
    if (this.closed) throw new ApiError('unavailable', 'The scheduler is shutting down; the run stays queued and starts next time.');
    if (this.owned.has(id)) return;
    this.owned.add(id);
    this.queue.push(id);
    this.pump();
  }

  /** Adopts queued rows left by dead processes; returns the ids taken over. */
  adoptOrphans(records: readonly RunRecord[]): string[] {
    const adopted: string[] = [];
    for (const r of records) {
      if (r.status !== 'queued') continue;
      if (this.deps.store.runs.adoptQueued(r.id, r.ownerPid, this.options.pid, this.options.now())) {
        adopted.push(r.id);
        this.enqueue(r.id);
      }
    }
    return adopted;
  }

  /**
   * Puts an interrupted, failed or cancelled run back in the queue under the same id; its
   * job continues from the run's latest checkpoint, or from `checkpointId` (see run-resume.ts).
   * The aborted attempt's metric rows after that checkpoint are deleted.
   */
  resume(id: string, checkpointId?: number): RunSummary {
    if (this.closed) throw new ApiError('unavailable', 'The scheduler is shutting down.');
    if (this.running.has(id) || this.owned.has(id)) throw new ApiError('conflict', `Run ${id} is already queued or running here.`);
    const { store } = this.deps;
    const plan = planResume(store, id, checkpointId);
    const now = this.options.now();
    const ok = store.transaction(() => {
      if (!store.runs.requeueForResume(id, RESUMABLE_STATUSES, this.options.pid, now, plan.checkpoint?.epoch ?? 0)) return false;
      store.metrics.deleteAfterStep(id, plan.checkpoint?.step ?? 0);
      store.logs.append(id, [{
        level: 'info',
        message: plan.checkpoint
          ? `Resume requested: continuing from ${plan.checkpoint.path} (epoch ${plan.checkpoint.epoch}, step ${plan.checkpoint.step}).`
          : 'Resume requested: the run has no checkpoint yet, so it starts over from the beginning.',
        wallTime: now,
      }]);
      return true;
    });
    if (!ok) throw new ApiError('conflict', `Run ${id} changed state meanwhile; reload and try again.`);
    this.resumeFrom.set(id, plan.checkpoint ? { path: plan.checkpoint.path, sha256: plan.checkpoint.sha256 } : null);
    this.emitChanged(id);
    this.enqueue(id);
    return this.summary(id);
  }

  /**
   * Cancels a run: a queued one ends at once, a running one is asked to stop (it ends
   * `cancelled` when its worker does). Runs owned by another live process are flagged and
   * that process stops them at its next heartbeat.
   */
  cancel(id: string): RunSummary {
    const { store } = this.deps;
    const record = store.runs.get(id);
    if (!record) throw ApiError.notFound(`Run ${id}`);
    if (this.queue.remove(id)) {
      this.finish(id, ['queued'], { status: 'cancelled', error: null });
      return this.summary(id);
    }
    const job = this.running.get(id);
    if (job) {
      job.cancel();
      return this.summary(id);
    }
    if (!isActiveStatus(record.status)) {
      throw new ApiError('conflict', `Run ${id} has already ended (${record.status}); only queued or running runs can be cancelled.`);
    }
    if (!this.owned.isOrphaned(record)) {
      store.runs.requestCancel(id, this.options.now());
      return this.summary(id);
    }
    // Nobody will ever run or finish it: end it here.
    this.finish(id, ACTIVE_STATUSES, { status: 'cancelled', error: null });
    return this.summary(id);
  }

  /** Resolves when a run this process owns reaches a terminal state. */
  whenEnded(id: string): Promise<RunSummary> {
    const current = summarizeRun(this.deps.store, id);
    if (!current) return Promise.reject(ApiError.notFound(`Run ${id}`));
    if (!this.owned.has(id)) {
      return isActiveStatus(current.status)
        ? Promise.reject(new ApiError('conflict', `Run ${id} is not run by this process`))
        : Promise.resolve(current);
    }
    return this.completion.wait(id);
  }

  get runningIds(): string[] {
    return [...this.running.keys()];
  }

  get queuedIds(): string[] {
    return this.queue.list();
  }

  /** Heartbeat + cancel requests from other processes; runs every `heartbeatMs`. */
  tick(): void {
    if (this.closed || this.owned.size === 0) return;
    const now = this.options.now();
    try {
      const cancelRequested = this.owned.heartbeat();
      for (const id of this.running.keys()) this.reclaimIfMarkedInterrupted(id, now);
      for (const id of cancelRequested) this.cancel(id);
    } catch (err) {
      this.deps.diagnostics(`scheduler heartbeat failed: ${messageOf(err)}`);
    }
  }

  /** Interrupts running jobs (they end `interrupted`) and stops the heartbeat. Queued rows stay queued. */
  async close(reason: string): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.queue.clear();
    const jobs = [...this.running.values()];
    for (const job of jobs) job.interrupt(reason);
    await Promise.all(jobs.map((j) => j.ended.catch(() => undefined)));
  }

  /**
   * A process that saw our heartbeat go stale (laptop asleep, event loop stalled) may have
   * marked our running run interrupted; we are still training it, so it is running again.
   */
  private reclaimIfMarkedInterrupted(id: string, now: number): void {
    if (this.deps.store.runs.reclaimInterrupted(id, this.options.pid, now)) {
      this.deps.diagnostics(`run ${id} had been marked interrupted by another process while still training here; it is running again`);
      this.emitChanged(id);
    }
  }

  /**
   * Queued runs in queue order (all of them, whichever process owns them). The listed ones
   * take the places they held, in the order given; the next free slot starts the first.
   */
  reorder(ids: readonly string[]): RunSummary[] {
    reorderQueuedRuns(this.deps.store, ids);
    for (const id of ids) this.emitChanged(id);
    return this.queuedSummaries();
  }

  /** Deletes a queued run that never started (any owner: the owner drops it when it finds the row gone). */
  removeQueued(id: string): void {
    removeQueuedRun(this.deps.store, id);
    this.forget(id);
    this.deps.bus.emit('run.removed', { id });
  }

  queuedSummaries(): RunSummary[] {
    return this.deps.store.runs.listQueued().map((r) => this.summary(r.id));
  }

  /** Drops a run whose row was deleted (by us or another process) from the queue and ownership. */
  private forget(id: string): void {
    this.queue.remove(id);
    this.owned.delete(id);
    this.completion.settle(id, undefined, () => ApiError.notFound(`Run ${id} (it was removed from the queue)`));
  }

  private pump(): void {
    while (!this.closed && this.queue.size > 0) {
      const slot = this.slots.acquire('training', 'run');
      if (!slot) return;
      const id = this.queue.next()!;
      slot.holder = `run ${id}`;
      let launched = false;
      try {
        launched = this.start(id, slot);
      } catch (err) {
        this.deps.diagnostics(`run ${id} could not be started: ${messageOf(err)}`);
        this.finish(id, ACTIVE_STATUSES, { status: 'failed', error: `The run could not be started: ${messageOf(err)}` });
      }
      if (!launched) this.slots.release(slot);
    }
  }

  /** Starts the run's job in `slot`; false when it was not started (the slot stays free). */
  private start(id: string, slot: Slot): boolean {
    const { store, paths } = this.deps;
    const json = store.runs.configJson(id);
    if (json === undefined) {
      this.forget(id); // removed from the queue by another process
      return false;
    }
    const config = safeParseWith(RunConfigSchema, parseJson(json), 'config');
    if (!config.ok) {
      this.finish(id, ['queued'], {
        status: 'failed',
        error: `The stored config of this run is not valid for this version of SNCA Studio: ${describeIssues(config.issues)}`,
      });
      return false;
    }
    const now = this.options.now();
    const claimed = store.runs.transition(id, ['queued'], 'running', {
      startedAt: new Date(now).toISOString(),
      ownerPid: this.options.pid,
      heartbeatAt: now,
    });
    if (!claimed) {
      // Cancelled or taken by another process between enqueue and now.
      this.owned.delete(id);
      this.resolveWaiters(id);
      return false;
    }
    const runDir = paths.runDir(id);
    mkdirSync(paths.checkpointsDir(id), { recursive: true });
    this.emitChanged(id);
    const resumeFrom = this.resumeFrom.take(id);
    const job: TrainJob = {
      runId: id,
      config: config.value,
      runDir,
      ...(this.options.backend ? { backend: this.options.backend } : {}),
      ...(resumeFrom ? { resumeFrom } : {}),
    };
    const handle = this.deps.launch(job, slot.device);
    this.running.set(id, handle);
    this.slotOf.set(id, slot);
    handle.ended.then(
      (outcome) => this.onJobEnded(id, outcome),
      (err: unknown) => this.onJobEnded(id, { status: 'failed', error: `The job supervisor failed: ${messageOf(err)}` }),
    );
    return true;
  }

  private onJobEnded(id: string, outcome: JobOutcome): void {
    this.running.delete(id);
    // The owner may finish a run another process wrongly marked interrupted (see reclaim).
    this.finish(id, ['running', 'interrupted'], outcome);
    const slot = this.slotOf.get(id);
    this.slotOf.delete(id);
    // Offers the slot to the next queued run (and to the other kinds of jobs).
    if (slot) this.slots.release(slot);
  }

  private finish(id: string, from: readonly RunStatus[], outcome: JobOutcome): void {
    const { store } = this.deps;
    try {
      const record = store.runs.get(id);
      const ok = store.runs.transition(id, from, outcome.status, {
        endedAt: new Date(this.options.now()).toISOString(),
        error: outcome.error,
        ...(outcome.status === 'completed' && record ? { epochsDone: record.epochs } : {}),
      });
      if (!ok) {
        this.deps.diagnostics(`run ${id}: outcome ${outcome.status} not recorded, the run is ${record?.status ?? 'gone'}`);
      }
    } catch (err) {
      this.deps.diagnostics(`run ${id}: could not record outcome ${outcome.status}: ${messageOf(err)}`);
    }
    this.owned.delete(id);
    this.emitChanged(id);
    this.resolveWaiters(id);
  }

  private resolveWaiters(id: string): void {
    this.completion.settle(id, summarizeRun(this.deps.store, id), () => ApiError.notFound(`Run ${id}`));
  }

  private summary(id: string): RunSummary {
    const s = summarizeRun(this.deps.store, id);
    if (!s) throw ApiError.notFound(`Run ${id}`);
    return s;
  }

  private emitChanged(id: string): void {
    try {
      const s = summarizeRun(this.deps.store, id);
      if (s) this.deps.bus.emit('run.changed', s);
    } catch (err) {
      this.deps.diagnostics(`run ${id}: could not publish its change: ${messageOf(err)}`);
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
