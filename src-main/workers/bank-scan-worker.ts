/**
 * The helper thread of engine/eval/bank-scan-helper.ts: waits on the shared control block,
 * runs the first pass of each posted search on lane 1 of the shared scan memory over the
 * chunks of rows it claims, answers on its port and marks the search done. It blocks in
 * Atomics.wait between parts and needs nothing but the kernel memory.
 */
import { workerData } from 'node:worker_threads';
import { BankScanKernel } from '../engine/eval/bank-scan-kernel.ts';
import { claimChunk, claimTag, HELPER_LANE, SCAN_CTRL, type BankScanHelperAnswer, type BankScanHelperData } from '../engine/eval/bank-scan-helper.ts';
import { firstPass } from '../engine/eval/bank-scan-pass.ts';

const { memory, shape, ctrl: shared, port } = workerData as BankScanHelperData;
const kernel = new BankScanKernel(shape, memory);
const ctrl = new Int32Array(shared);

let seen = Atomics.load(ctrl, SCAN_CTRL.seq);
Atomics.store(ctrl, SCAN_CTRL.ready, 1);
for (;;) {
  Atomics.wait(ctrl, SCAN_CTRL.seq, seen);
  seen = Atomics.load(ctrl, SCAN_CTRL.seq);
  if (Atomics.load(ctrl, SCAN_CTRL.stop) !== 0) break;
  let answer: BankScanHelperAnswer;
  try {
    const c = (slot: number) => Atomics.load(ctrl, slot);
    const [tag, chunks, chunkRows] = [claimTag(seen), c(SCAN_CTRL.chunks), c(SCAN_CTRL.chunkRows)];
    const claim = (): readonly [number, number] | null => {
      const i = claimChunk(ctrl, tag, chunks);
      return i < 0 ? null : [i * chunkRows, Math.min(kernel.paddedRows, (i + 1) * chunkRows)];
    };
    answer = { seq: seen, parts: firstPass(kernel, HELPER_LANE, c(SCAN_CTRL.nq), c(SCAN_CTRL.k), claim) };
  } catch (err) {
    answer = { seq: seen, error: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(answer);
  Atomics.add(ctrl, SCAN_CTRL.completed, 1);
  Atomics.store(ctrl, SCAN_CTRL.done, seen);
  Atomics.notify(ctrl, SCAN_CTRL.done);
}
port.close();
