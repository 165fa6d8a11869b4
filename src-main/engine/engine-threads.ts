/**
 * The engine's own threads (data loaders, the wasm heap helper, the bank scan helper) and how they are started.
 *
 * Which file a thread runs, and whether that is TypeScript from source or the built bundle,
 * is the application's knowledge (src-main/workers/), not the engine's. So whoever runs the
 * engine in a thread gives it a ThreadStarter first, with provideThreadStarter(). It is a
 * per-thread setting rather than an argument because the heap helper is started lazily from
 * inside a wasm kernel, where no argument can reach it.
 *
 * Without a starter the engine runs everything on the calling thread where it can (the heap
 * helper stays off and says why) and refuses where it cannot (a loader asked for workers).
 */
import type { TransferListItem, Worker } from 'node:worker_threads';

/** The entry modules of the engine's threads; each exists as src-main/workers/<name>.ts. */
export const ENGINE_THREADS = ['data-loader-worker', 'heap-helper-worker', 'bank-scan-worker'] as const;
export type EngineThread = (typeof ENGINE_THREADS)[number];

export interface EngineThreadOptions {
  /** Shown in debuggers and crash reports. */
  name?: string;
  workerData?: unknown;
  /** Ports and buffers in workerData to move rather than copy. */
  transferList?: TransferListItem[];
}

/** Starts `thread`'s entry module in a new worker_thread. */
export type ThreadStarter = (thread: EngineThread, options: EngineThreadOptions) => Worker;

export class EngineThreadError extends Error {
  override readonly name = 'EngineThreadError';
}

let starter: ThreadStarter | null = null;

/** Gives the engine in this thread its way to start threads; null takes it away (tests). */
export function provideThreadStarter(next: ThreadStarter | null): void {
  starter = next;
}

/** Whether a ThreadStarter was given, so callers can choose the single-thread path instead. */
export function canStartThreads(): boolean {
  return starter !== null;
}

export function startEngineThread(thread: EngineThread, options: EngineThreadOptions = {}): Worker {
  if (!starter) {
    throw new EngineThreadError(
      `cannot start the engine's ${thread} thread: no ThreadStarter was given to the engine in this thread (provideThreadStarter)`,
    );
  }
  return starter(thread, options);
}
