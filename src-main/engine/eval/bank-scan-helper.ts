/**
 * A second thread for the first pass of a bank search (bank-scan-pass.ts): the searching
 * thread scans the first half of the rows on lane 0 while the helper scans the second half
 * on lane 1 of the same shared kernel memory, so a search uses both cores of the machine.
 *
 * The two meet through Atomics on a small shared control block, synchronously (a search is a
 * synchronous call). The helper answers through a MessagePort that the searching thread
 * reads with receiveMessageOnPort once the helper has marked its part done. It is started
 * when the index is made and used only once it reports ready, so no search waits for its
 * start-up. If it has not finished its part within TIMEOUT_MS the searching thread scans that
 * part itself and the helper is retired. Its thread is unref()'d (it never keeps a process
 * alive). SNCA_BANK_SCAN_HELPER=0 turns it off, and so does a thread whose engine was given
 * no ThreadStarter (engine-threads.ts).
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { canStartThreads, startEngineThread } from '../engine-threads.ts';
import type { BankScanKernel, BankScanShape } from './bank-scan-kernel.ts';
import type { PassPart } from './bank-scan-pass.ts';

/** Control block layout (Int32 slots), shared with workers/bank-scan-worker.ts. */
export const SCAN_CTRL = {
  /** Bumped by the searching thread to post a part. */
  seq: 0,
  /** Set to seq by the helper when its part is done (its answer is then on the port). */
  done: 1,
  nq: 2,
  k: 3,
  start: 4,
  end: 5,
  /** 1 once the helper's loop runs. */
  ready: 6,
  /** Non-zero: the helper should leave its loop. */
  stop: 7,
  /** Parts the helper has completed. */
  completed: 8,
  slots: 10,
} as const;

/** The helper lane of the kernel. */
export const HELPER_LANE = 1;
/** Long: a helper merely starved by a busy machine must not be written off. */
const TIMEOUT_MS = 30_000;

/** What the helper thread is given. */
export interface BankScanHelperData {
  memory: WebAssembly.Memory;
  shape: BankScanShape;
  ctrl: SharedArrayBuffer;
  port: MessagePort;
}

/** The helper's answer for one part. */
export interface BankScanHelperAnswer {
  seq: number;
  parts?: (PassPart | null)[];
  error?: string;
}

export class BankScanHelper {
  private readonly ctrl: Int32Array;
  private retiredReason: string | null = null;
  private pending = 0;

  private constructor(
    private readonly worker: Worker,
    shared: SharedArrayBuffer,
    private readonly port: MessagePort,
  ) {
    this.ctrl = new Int32Array(shared);
    worker.unref();
    worker.on('error', (e) => this.retire(`helper thread failed: ${e.message}`));
    worker.on('exit', () => this.retire('helper thread exited'));
  }

  /** A helper for this kernel, or null where none can run (see above). */
  static start(kernel: BankScanKernel): BankScanHelper | null {
    if (process.env['SNCA_BANK_SCAN_HELPER'] === '0' || !canStartThreads() || availableParallelism() < 2) return null;
    const shared = new SharedArrayBuffer(SCAN_CTRL.slots * 4);
    const { port1, port2 } = new MessageChannel();
    try {
      const data: BankScanHelperData = { memory: kernel.sharedMemory, shape: kernel.shape, ctrl: shared, port: port2 };
      const worker = startEngineThread('bank-scan-worker', { name: 'bank scan helper', workerData: data, transferList: [port2] });
      return new BankScanHelper(worker, shared, port1);
    } catch {
      port1.close();
      return null;
    }
  }

  get ready(): boolean {
    return this.retiredReason === null && Atomics.load(this.ctrl, SCAN_CTRL.ready) === 1;
  }

  /** Parts completed so far. */
  get completed(): number {
    return Atomics.load(this.ctrl, SCAN_CTRL.completed);
  }

  /** Why the helper is no longer used, if it was retired. */
  get retired(): string | null {
    return this.retiredReason;
  }

  /** Posts lane 1's queries [0, nq) over rows [start, end); false when the helper is not ready. */
  begin(nq: number, k: number, start: number, end: number): boolean {
    if (!this.ready) return false;
    const c = this.ctrl;
    Atomics.store(c, SCAN_CTRL.nq, nq);
    Atomics.store(c, SCAN_CTRL.k, k);
    Atomics.store(c, SCAN_CTRL.start, start);
    Atomics.store(c, SCAN_CTRL.end, end);
    this.pending = Atomics.add(c, SCAN_CTRL.seq, 1) + 1;
    Atomics.notify(c, SCAN_CTRL.seq);
    return true;
  }

  /** The posted part's result; null when the helper failed or timed out (scan the part yourself). */
  finish(): (PassPart | null)[] | null {
    const deadline = performance.now() + TIMEOUT_MS;
    for (;;) {
      // Wait on the value just compared: re-reading it could miss the helper's store and sleep to the timeout.
      const done = Atomics.load(this.ctrl, SCAN_CTRL.done);
      if (done === this.pending) break;
      const left = deadline - performance.now();
      if (left <= 0 || this.retiredReason !== null) {
        this.retire(this.retiredReason ?? `helper thread did not finish its part within ${TIMEOUT_MS} ms`);
        return null;
      }
      Atomics.wait(this.ctrl, SCAN_CTRL.done, done, left);
    }
    for (;;) {
      const got = receiveMessageOnPort(this.port);
      if (!got) {
        this.retire('helper thread marked its part done without an answer');
        return null;
      }
      const answer = got.message as BankScanHelperAnswer;
      if (answer.seq !== this.pending) continue;
      if (answer.error !== undefined || !answer.parts) {
        this.retire(`helper thread failed: ${answer.error ?? 'no answer'}`);
        return null;
      }
      return answer.parts;
    }
  }

  dispose(): void {
    this.retire('disposed');
  }

  private retire(reason: string): void {
    if (this.retiredReason !== null) return;
    this.retiredReason = reason;
    Atomics.store(this.ctrl, SCAN_CTRL.stop, 1);
    Atomics.add(this.ctrl, SCAN_CTRL.seq, 1);
    Atomics.notify(this.ctrl, SCAN_CTRL.seq);
    this.port.close();
    void this.worker.terminate().catch(() => undefined);
  }
}
