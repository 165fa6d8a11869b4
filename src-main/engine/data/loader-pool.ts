/**
 * Runs batch tasks on a pool of worker threads (the reference's `-j/--workers`), or on the
 * main thread when workers = 0. Each worker holds at most `tasksPerWorker` tasks so work is
 * spread as it completes; results come back as transferred buffers (no copy).
 * Workers are unref'd while idle, so a forgotten pool does not keep the process alive.
 */
import type { Worker } from 'node:worker_threads';
import { canStartThreads, startEngineThread } from '../engine-threads.ts';
import { processBatch } from './batch-processor.ts';
import type { BatchOutput, BatchTask, FromWorker, PipelineSpec, ToWorker } from './loader-protocol.ts';

export interface BatchExecutor {
  readonly workers: number;
  register(pipeline: PipelineSpec): void;
  /** Runs a task; a queued task whose signal aborts is dropped and rejects with the abort reason. */
  run(task: Omit<BatchTask, 'taskId'>, signal?: AbortSignal): Promise<BatchOutput>;
  close(): Promise<void>;
}

export class LoaderPoolError extends Error {
  override readonly name = 'LoaderPoolError';
}

class InlineExecutor implements BatchExecutor {
  readonly workers = 0;
  private readonly pipelines = new Map<number, PipelineSpec>();
  private nextId = 1;
  private closed = false;

  register(p: PipelineSpec): void {
    this.pipelines.set(p.id, p);
  }

  async run(task: Omit<BatchTask, 'taskId'>, signal?: AbortSignal): Promise<BatchOutput> {
    if (this.closed) throw new LoaderPoolError('the data loader was closed');
    signal?.throwIfAborted();
    const p = this.pipelines.get(task.pipelineId);
    if (!p) throw new LoaderPoolError(`unknown pipeline ${task.pipelineId}`);
    // Yield first so that a consumer scheduling several batches gets its promises at once.
    await new Promise((r) => setImmediate(r));
    return processBatch(p, { ...task, taskId: this.nextId++ });
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

interface Pending {
  task: BatchTask;
  resolve: (o: BatchOutput) => void;
  reject: (e: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

interface Slot {
  worker: Worker;
  inFlight: Map<number, Pending>;
}

class WorkerPool implements BatchExecutor {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private failure: Error | null = null;
  private closing = false;

  constructor(
    readonly workers: number,
    private readonly tasksPerWorker: number,
  ) {
    for (let i = 0; i < workers; i++) {
      const worker = startEngineThread('data-loader-worker', { name: `data-loader-${i}` });
      const slot: Slot = { worker, inFlight: new Map() };
      worker.on('message', (m: FromWorker) => this.onMessage(slot, m));
      worker.on('error', (e) => this.fail(new LoaderPoolError(`data loader worker ${i} crashed: ${e.message}`)));
      worker.on('exit', (code) => {
        if (!this.closing) this.fail(new LoaderPoolError(`data loader worker ${i} exited unexpectedly (code ${code})`));
      });
      worker.unref();
      this.slots.push(slot);
    }
  }

  register(p: PipelineSpec): void {
    const msg: ToWorker = { type: 'pipeline', pipeline: p };
    for (const s of this.slots) s.worker.postMessage(msg);
  }

  run(task: Omit<BatchTask, 'taskId'>, signal?: AbortSignal): Promise<BatchOutput> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new LoaderPoolError('the data loader was closed'));
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const p: Pending = { task: { ...task, taskId: this.nextId++ }, resolve, reject, signal };
      if (signal) {
        p.onAbort = () => {
          const k = this.queue.indexOf(p);
          if (k >= 0) {
            this.queue.splice(k, 1);
            reject(signal.reason);
          }
        };
        signal.addEventListener('abort', p.onAbort, { once: true });
      }
      this.queue.push(p);
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let best: Slot | null = null;
      for (const s of this.slots) if (s.inFlight.size < this.tasksPerWorker && (!best || s.inFlight.size < best.inFlight.size)) best = s;
      if (!best) return;
      const p = this.queue.shift() as Pending;
      if (best.inFlight.size === 0) best.worker.ref();
      best.inFlight.set(p.task.taskId, p);
      const msg: ToWorker = { type: 'task', task: p.task };
      best.worker.postMessage(msg);
    }
  }

  private settle(slot: Slot, taskId: number): Pending | undefined {
    const p = slot.inFlight.get(taskId);
    if (!p) return undefined;
    slot.inFlight.delete(taskId);
    if (slot.inFlight.size === 0) slot.worker.unref();
    if (p.onAbort) p.signal?.removeEventListener('abort', p.onAbort);
    return p;
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    if (m.type === 'result') {
      this.settle(slot, m.output.taskId)?.resolve(m.output);
    } else {
      this.settle(slot, m.taskId)?.reject(new LoaderPoolError(m.message));
    }
    this.dispatch();
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    for (const s of this.slots) {
      for (const id of [...s.inFlight.keys()]) this.settle(s, id)?.reject(e);
    }
    for (const p of this.queue.splice(0)) p.reject(e);
    void this.close();
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const err = this.failure ?? new LoaderPoolError('the data loader was closed');
    for (const p of this.queue.splice(0)) p.reject(err);
    for (const s of this.slots) for (const id of [...s.inFlight.keys()]) this.settle(s, id)?.reject(err);
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

/** A pool of `workers` threads, or main-thread execution for 0. */
export function createBatchExecutor(workers: number, opts: { tasksPerWorker?: number } = {}): BatchExecutor {
  if (!Number.isInteger(workers) || workers < 0) throw new RangeError(`workers must be a non-negative integer, got ${workers}`);
  if (workers === 0) return new InlineExecutor();
  if (!canStartThreads()) {
    throw new LoaderPoolError(`workers: ${workers} asks for data loader threads, but the engine was given no way to start threads here (provideThreadStarter); use workers: 0 to decode on this thread`);
  }
  return new WorkerPool(workers, opts.tasksPerWorker ?? 2);
}
