/**
 * The helper thread of engine/kernels/heap-helper.ts: waits on the shared control block,
 * runs its half of each posted task over the wasm heap, reports it done. It never touches
 * tfjs or the event loop (it blocks in Atomics.wait), so it needs nothing but the heap.
 */
import { workerData } from 'node:worker_threads';
import { CTRL } from '../engine/kernels/heap-helper.ts';
import { HEAP_TASKS } from '../engine/kernels/heap-tasks.ts';

const { heap, ctrl: shared } = workerData as { heap: SharedArrayBuffer; ctrl: SharedArrayBuffer };
const f32 = new Float32Array(heap);
const ctrl = new Int32Array(shared, 0, CTRL.headerSlots);
const args = new Float64Array(shared, CTRL.headerSlots * 4, CTRL.maxArgs);

let seen = Atomics.load(ctrl, CTRL.seq);
Atomics.store(ctrl, CTRL.ready, 1);
for (;;) {
  Atomics.wait(ctrl, CTRL.seq, seen);
  seen = Atomics.load(ctrl, CTRL.seq);
  if (Atomics.load(ctrl, CTRL.stop) !== 0) break;
  while (Atomics.load(ctrl, CTRL.pause) !== 0) Atomics.wait(ctrl, CTRL.pause, 1);
  const task = HEAP_TASKS[Atomics.load(ctrl, CTRL.task)];
  if (task) task(f32, args, Atomics.load(ctrl, CTRL.begin), Atomics.load(ctrl, CTRL.end));
  Atomics.add(ctrl, CTRL.completed, 1);
  Atomics.store(ctrl, CTRL.done, seen);
  Atomics.notify(ctrl, CTRL.done);
}
