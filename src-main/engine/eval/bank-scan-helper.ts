/**
 * A second thread for the first pass of a bank search (bank-scan-pass.ts): the searching
 * thread (lane 0) and the helper (lane 1 of the same shared kernel memory) claim chunks of
 * rows from one shared counter until none is left, so a search uses both cores of the
 * machine, and a helper that gets no CPU (a busy machine) delays a search by at most the
 * chunk it holds: the searching thread takes every chunk the helper has not claimed, and does
 * not wait at all when the helper claimed none.
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
  /** Chunks of the current search and rows per chunk. */
  chunks: 4,
  chunkRows: 5,
  /** 1 once the helper's loop runs. */
  ready: 6,
  /** Non-zero: the helper should leave its loop. */
  stop: 7,
  /** Parts the helper has completed. */
  completed: 8,
  /** The claim counter: the search's tag (its seq, 11 bits) << 20 | the next chunk. */
  claim: 9,
  slots: 10,
} as const;

const TAG_SHIFT = 20;
const TAG_MASK = 0x7ff;

/** The tag of search `seq` in the claim counter. */
export function claimTag(seq: number): number {
  return seq & TAG_MASK;
}

/**
 * Claims the next chunk of search `tag` (of `chunks`): its index, or −1 when every chunk is
 * taken or the counter belongs to another search (a helper woken late claims nothing).
 */
export function claimChunk(ctrl: Int32Array, tag: number, chunks: number): number {
  for (;;) {
    const v = Atomics.load(ctrl, SCAN_CTRL.claim);
    if (v >>> TAG_SHIFT !== tag) return -1;
    const next = v & ((1 << TAG_SHIFT) - 1);
    if (next >= chunks) return -1;
    if (Atomics.compareExchange(ctrl, SCAN_CTRL.claim, v, v + 1) === v) return next;
  }
}

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
  private tag = -1;
  private chunks = 0;

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

  /**
   * Posts a search of lane 1's queries [0, nq) over `chunks` chunks of `chunkRows` rows (the
   * last one ends at the kernel's padded rows); false when the helper is not ready. Chunks
   * have at most 2^20 of them.
   */
  begin(nq: number, k: number, chunks: number, chunkRows: number): boolean {
    if (!this.ready) return false;
    const c = this.ctrl;
    const seq = Atomics.load(c, SCAN_CTRL.seq) + 1;
    this.tag = claimTag(seq);
    this.chunks = chunks;
    Atomics.store(c, SCAN_CTRL.nq, nq);
    Atomics.store(c, SCAN_CTRL.k, k);
    Atomics.store(c, SCAN_CTRL.chunks, chunks);
    Atomics.store(c, SCAN_CTRL.chunkRows, chunkRows);
    Atomics.store(c, SCAN_CTRL.claim, this.tag << TAG_SHIFT);
    Atomics.store(c, SCAN_CTRL.seq, seq);
    this.pending = seq;
    Atomics.notify(c, SCAN_CTRL.seq);
    return true;
  }

  /** The next chunk of the posted search for the searching thread, or −1. */
  claim(): number {
    return claimChunk(this.ctrl, this.tag, this.chunks);
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
