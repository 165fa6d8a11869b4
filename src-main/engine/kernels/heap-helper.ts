/**
 * Runs the JS loops of our wasm kernels (heap-tasks.ts) on two threads: the calling thread
 * takes the first half of the range, one helper thread the second, both on the wasm heap.
 *
 * Why: XNNPACK's products and convolutions use both cores (wasm-threads.ts), but the loops
 * our kernels write in JS (im2col, transposes, the max-pool gradient) ran on one, leaving
 * the other idle for a sizeable part of every step.
 *
 * How: only with the threaded wasm build, whose heap is a SharedArrayBuffer the helper can
 * address directly; the single-threaded build (and any failure) runs everything inline.
 * The two threads meet through Atomics on a small shared control block, synchronously:
 * a kernel cannot await. The helper is started lazily and used only once it reports ready,
 * so no call ever waits for its start-up. If it does not finish its half within
 * helperTimeoutMs the caller runs that half itself (tasks may run twice: they write the
 * same values) and the helper is retired. The thread is unref()'d: it never keeps a
 * process alive. SNCA_HEAP_HELPER=0 turns it off, and so does a thread whose engine was given
 * no ThreadStarter (engine-threads.ts).
 */
import type { Worker } from 'node:worker_threads';
import { canStartThreads, startEngineThread } from '../engine-threads.ts';
import { HEAP_TASKS, TASK_ID, type HeapTaskName } from './heap-tasks.ts';

/** Control block layout (Int32 slots), shared with heap-helper-worker.ts. */
export const CTRL = {
  /** Bumped by the caller to post a task. */
  seq: 0,
  /** Set to seq by the helper when its half is done. */
  done: 1,
  task: 2,
  begin: 3,
  end: 4,
  /** 1 once the helper's loop runs. */
  ready: 5,
  /** Tasks the helper has completed (tests check it worked). */
  completed: 6,
  /** Non-zero: the helper should exit its loop. */
  stop: 7,
  /** Non-zero: the helper holds posted tasks until it is cleared (tests simulate a stall). */
  pause: 8,
  /** Int32 slots before the Float64 arguments (an even count keeps them 8-byte aligned). */
  headerSlots: 10,
  maxArgs: 16,
} as const;

/**
 * Long: a helper that is merely starved must not be written off while it may still write
 * to the heap. Tests lower it (heapHelperTesting).
 */
let helperTimeoutMs = 30_000;
/**
 * Tasks writing fewer floats run inline: below this, waking the helper costs about as much
 * as the half of the work it would take over (README, engine measurements).
 */
const MIN_SPLIT_FLOATS = 1 << 19;

interface Helper {
  heap: SharedArrayBuffer;
  ctrl: Int32Array;
  args: Float64Array;
  worker: Worker;
}

let helper: Helper | null = null;
/** Waits that ran into the timeout: each is a stall (a lost wake-up or a stuck helper). */
let timedOutWaits = 0;
let retiredReason: string | null = null;
/** The thread could not be created at all: not retried. */
let startFailed = false;

function disabledByEnv(): boolean {
  return process.env['SNCA_HEAP_HELPER'] === '0';
}

function start(heap: SharedArrayBuffer): Helper | null {
  try {
    const shared = new SharedArrayBuffer(CTRL.headerSlots * 4 + CTRL.maxArgs * 8);
    const worker = startEngineThread('heap-helper-worker', { workerData: { heap, ctrl: shared } });
    worker.unref();
    const h: Helper = {
      heap,
      ctrl: new Int32Array(shared, 0, CTRL.headerSlots),
      args: new Float64Array(shared, CTRL.headerSlots * 4, CTRL.maxArgs),
      worker,
    };
    worker.on('error', (e) => retire(h, `helper thread failed: ${e.message}`));
    worker.on('exit', () => retire(h, 'helper thread exited'));
    retiredReason = null;
    return h;
  } catch (e) {
    startFailed = true;
    retiredReason = `helper thread could not start: ${(e as Error).message}`;
    return null;
  }
}

/** Tells the thread to leave its loop, and ends it. */
function signalStop(h: Helper): Promise<unknown> {
  Atomics.store(h.ctrl, CTRL.stop, 1);
  Atomics.add(h.ctrl, CTRL.seq, 1);
  Atomics.notify(h.ctrl, CTRL.seq);
  return h.worker.terminate().catch(() => undefined);
}

function retire(h: Helper, reason: string): void {
  // Only the active helper's end is news: an old one exiting after its replacement started is not.
  if (helper === h) {
    helper = null;
    retiredReason = reason;
  }
  void signalStop(h);
}

/** The helper for this heap, starting it if needed; null while it is not ready to take work. */
function readyHelper(heap: Float32Array): Helper | null {
  if (disabledByEnv() || !canStartThreads() || !(heap.buffer instanceof SharedArrayBuffer)) return null;
  if (helper && helper.heap !== heap.buffer) retire(helper, 'the wasm heap was replaced');
  if (!helper) {
    if (startFailed) return null;
    helper = start(heap.buffer);
    return null;
  }
  return Atomics.load(helper.ctrl, CTRL.ready) === 1 ? helper : null;
}

/**
 * Runs HEAP_TASKS[name] over [0, total) with these arguments, split between this thread
 * and the helper when it is ready and the task writes at least MIN_SPLIT_FLOATS (`floats`).
 * `heap` is the whole wasm heap (HEAPF32).
 */
export function runHeapTask(heap: Float32Array, name: HeapTaskName, args: readonly number[], total: number, floats: number): void {
  const id = TASK_ID[name];
  const task = HEAP_TASKS[id]!;
  if (args.length > CTRL.maxArgs) throw new Error(`runHeapTask(${name}): ${args.length} arguments, at most ${CTRL.maxArgs}`);
  const a = Float64Array.from(args);
  const h = total >= 2 && floats >= MIN_SPLIT_FLOATS ? readyHelper(heap) : null;
  if (!h) {
    task(heap, a, 0, total);
    return;
  }
  const mid = Math.ceil(total / 2);
  h.args.set(a);
  Atomics.store(h.ctrl, CTRL.task, id);
  Atomics.store(h.ctrl, CTRL.begin, mid);
  Atomics.store(h.ctrl, CTRL.end, total);
  const seq = Atomics.add(h.ctrl, CTRL.seq, 1) + 1;
  Atomics.notify(h.ctrl, CTRL.seq);
  task(heap, a, 0, mid);
  const deadline = performance.now() + helperTimeoutMs;
  for (;;) {
    // Wait on the value just compared: re-reading it for the wait could see the helper's
    // store of `seq` and then sleep until the timeout.
    const done = Atomics.load(h.ctrl, CTRL.done);
    if (done === seq) return;
    const left = deadline - performance.now();
    if (left <= 0) {
      retire(h, `helper thread did not finish a ${name} task within ${helperTimeoutMs} ms`);
      task(heap, a, mid, total);
      return;
    }
    if (Atomics.wait(h.ctrl, CTRL.done, done, left) === 'timed-out') timedOutWaits++;
  }
}

/** The whole heap behind tensor views, and each view's float offset in it. */
export function onHeap(...views: Float32Array[]): { heap: Float32Array; offsets: number[] } {
  const buffer = views[0]!.buffer;
  for (const v of views) {
    if (v.buffer !== buffer) throw new Error('onHeap: the views lie in different buffers');
  }
  return { heap: new Float32Array(buffer), offsets: views.map((v) => v.byteOffset / 4) };
}

export interface HeapHelperStatus {
  running: boolean;
  ready: boolean;
  /** Tasks the helper thread has completed. */
  completed: number;
  /** Why the helper is not in use, if it was retired or could not start. */
  retired: string | null;
  /** Waits for the helper that ran into the timeout, since the process started. */
  timedOutWaits: number;
}

export function heapHelperStatus(): HeapHelperStatus {
  return {
    running: helper !== null,
    ready: helper !== null && Atomics.load(helper.ctrl, CTRL.ready) === 1,
    completed: helper ? Atomics.load(helper.ctrl, CTRL.completed) : 0,
    retired: retiredReason ?? (helper === null && !canStartThreads() ? 'no ThreadStarter was given to the engine in this thread' : null),
    timedOutWaits,
  };
}

/**
 * Starts the helper for this heap now and resolves once it takes work (false when it
 * cannot: single-threaded build, disabled, or it failed). Kernels do not need this; it
 * lets backend start-up and tests have the helper ready before the first step.
 */
export async function warmHeapHelper(heap: Float32Array, timeoutMs = 10_000): Promise<boolean> {
  readyHelper(heap);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (readyHelper(heap)) return true;
    if (!helper) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

/** Test hooks: the stall timeout, and a stalled helper. */
export const heapHelperTesting = {
  setTimeoutMs(ms: number): void {
    helperTimeoutMs = ms;
  },
  /** Makes the helper hold the tasks it is given, as a stalled thread would. */
  pause(): void {
    if (helper) Atomics.store(helper.ctrl, CTRL.pause, 1);
  },
};

/** Stops the helper thread (tests; a backend switch retires it on its own). */
export async function stopHeapHelper(): Promise<void> {
  const h = helper;
  if (!h) return;
  helper = null;
  await signalStop(h);
  retiredReason = null;
}
