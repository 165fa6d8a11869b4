/**
 * The helper thread that takes half of our JS kernel loops (heap-helper.ts): results equal
 * one thread's bit for bit, it really runs (its completed-task count moves), back-to-back
 * tasks never stall, a stalled helper is retired and its half done by the caller, a heap
 * that is not shared or an engine given no ThreadStarter runs inline, and the thread never
 * keeps a process alive.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { provideThreadStarter } from '../../../../src-main/engine/engine-threads.ts';
import { heapHelperStatus, heapHelperTesting, runHeapTask, stopHeapHelper, warmHeapHelper } from '../../../../src-main/engine/kernels/heap-helper.ts';
import { maxPoolGrad } from '../../../../src-main/engine/kernels/max-pool-grad.ts';
import { sliceRowsTransposed } from '../../../../src-main/engine/kernels/row-slices.ts';
import { startWorkerEntryThread } from '../../../../src-main/workers/worker-entry.ts';
import { seededValues, useBackend } from '../use-backend.ts';

provideThreadStarter(startWorkerEntryThread);

/** A work estimate above the split threshold: these tests use small arrays but want them split. */
const FORCE_SPLIT = 1 << 30;

function withHelper<T>(on: boolean, fn: () => T): T {
  const before = process.env['SNCA_HEAP_HELPER'];
  process.env['SNCA_HEAP_HELPER'] = on ? '1' : '0';
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env['SNCA_HEAP_HELPER'];
    else process.env['SNCA_HEAP_HELPER'] = before;
  }
}

function sharedHeap(floats: number, seed: number): Float32Array {
  const heap = new Float32Array(new SharedArrayBuffer(floats * 4));
  heap.set(seededValues(floats, seed));
  return heap;
}

function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  const x = new Int32Array(a.buffer, a.byteOffset, a.length);
  const y = new Int32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

after(async () => {
  heapHelperTesting.setTimeoutMs(30_000);
  await stopHeapHelper();
});

describe('heap helper on a SharedArrayBuffer heap', () => {
  it('runs every task split over two threads with results bit-identical to one thread', async () => {
    const heap = sharedHeap(400_000, 3);
    assert.equal(await warmHeapHelper(heap), true, JSON.stringify(heapHelperStatus()));
    // [rows, cols] at 0 → transposed at 100,000; a [2, 8, 8, 3] image batch for im2col.
    const cases: Array<{ name: Parameters<typeof runHeapTask>[1]; args: number[]; total: number; out: [number, number] }> = [
      { name: 'transposeRows', args: [0, 5, 901, 37, 100_000], total: 901, out: [100_000, 100_000 + 901 * 37] },
      // x [4, 6, 10, 3] at 0, y [4, 3, 5, 3] at 1000, dy at 2000, dx at 3000
      { name: 'maxPool2Grad', args: [0, 1000, 2000, 3000, 6, 10, 3, 3, 5], total: 4, out: [3000, 3000 + 720] },
      // images [3, 7, 9, 4] at 0 → colsT for a 3×3 pad-1 conv at 200,000 (xt scratch at 150,000)
      { name: 'fillRowContiguous', args: [150_000, 200_000, 3, 7, 9, 4, 7, 9, 3, 3, 1, 1], total: 4, out: [200_000, 200_000 + 36 * 189] },
      // cols [(b, y, x), (i, j, c)] for a 3×3 stride-2 pad-1 conv on [3, 7, 9, 4] at 0
      { name: 'fillColumns', args: [0, 300_000, 0, 7, 9, 4, 4, 5, 3, 3, 2, 2, 1, 1], total: 3, out: [300_000, 300_000 + 60 * 36] },
    ];
    for (const c of cases) {
      if (c.name === 'maxPool2Grad') {
        // y must be the windows' maxima for the task's contract.
        for (let n = 0; n < 4; n++) for (let oy = 0; oy < 3; oy++) for (let ox = 0; ox < 5; ox++) for (let ch = 0; ch < 3; ch++) {
          const at = (yy: number, xx: number) => heap[((n * 6 + oy * 2 + yy) * 10 + ox * 2 + xx) * 3 + ch]!;
          heap[1000 + ((n * 3 + oy) * 5 + ox) * 3 + ch] = Math.max(at(0, 0), at(0, 1), at(1, 0), at(1, 1));
        }
      }
      heap.fill(NaN, c.out[0], c.out[1]);
      const before = heapHelperStatus().completed;
      withHelper(false, () => runHeapTask(heap, c.name, c.args, c.total, FORCE_SPLIT));
      const inline = heap.slice(c.out[0], c.out[1]);
      assert.equal(heapHelperStatus().completed, before, `${c.name}: SNCA_HEAP_HELPER=0 must run inline`);
      assert.ok(inline.every((v) => !Number.isNaN(v)), `${c.name}: every output element is written`);
      heap.fill(NaN, c.out[0], c.out[1]);
      withHelper(true, () => runHeapTask(heap, c.name, c.args, c.total, FORCE_SPLIT));
      assert.equal(heapHelperStatus().completed, before + 1, `${c.name}: the helper ran its half`);
      assert.ok(bitsEqual(heap.slice(c.out[0], c.out[1]), inline), `${c.name}: two threads differ from one`);
    }
  });

  it('never stalls on back-to-back tasks', async () => {
    const heap = sharedHeap(4096, 5);
    assert.equal(await warmHeapHelper(heap), true);
    // Shorter, so that a lost wake-up costs 1 s here instead of 30 s; it is counted either way.
    heapHelperTesting.setTimeoutMs(1_000);
    const before = heapHelperStatus();
    for (let i = 0; i < 20_000; i++) withHelper(true, () => runHeapTask(heap, 'transposeRows', [0, 0, 16, 8, 2048], 16, FORCE_SPLIT));
    const status = heapHelperStatus();
    heapHelperTesting.setTimeoutMs(30_000);
    assert.equal(status.timedOutWaits - before.timedOutWaits, 0, 'waits for the helper ran into the timeout');
    assert.equal(status.retired, null);
    assert.equal(status.completed, before.completed + 20_000);
  });

  it('retires a helper that does not answer and does its half itself', async () => {
    const heap = sharedHeap(10_000, 7);
    assert.equal(await warmHeapHelper(heap), true);
    withHelper(false, () => runHeapTask(heap, 'transposeRows', [0, 0, 40, 25, 5000], 40, FORCE_SPLIT));
    const want = heap.slice(5000, 6000);
    heap.fill(NaN, 5000, 6000);
    heapHelperTesting.setTimeoutMs(200);
    heapHelperTesting.pause();
    withHelper(true, () => runHeapTask(heap, 'transposeRows', [0, 0, 40, 25, 5000], 40, FORCE_SPLIT));
    assert.ok(bitsEqual(heap.slice(5000, 6000), want), 'the caller completed the stalled half');
    assert.match(heapHelperStatus().retired ?? '', /did not finish a transposeRows task within 200 ms/);
    assert.equal(heapHelperStatus().running, false);
    heapHelperTesting.setTimeoutMs(30_000);
    // A new helper starts on the next use.
    assert.equal(await warmHeapHelper(heap), true);
  });

  it('stays off, and says why, where the engine was given no ThreadStarter', async () => {
    await stopHeapHelper();
    provideThreadStarter(null);
    try {
      const heap = sharedHeap(4096, 5);
      assert.equal(await warmHeapHelper(heap), false);
      assert.equal(heapHelperStatus().running, false);
      assert.match(heapHelperStatus().retired ?? '', /no ThreadStarter was given to the engine/);
      withHelper(true, () => runHeapTask(heap, 'transposeRows', [0, 0, 16, 8, 2048], 16, FORCE_SPLIT));
      for (let j = 0; j < 16; j++) for (let d = 0; d < 8; d++) assert.equal(heap[2048 + d * 16 + j], heap[j * 8 + d]);
    } finally {
      provideThreadStarter(startWorkerEntryThread);
    }
    assert.equal(await warmHeapHelper(sharedHeap(4096, 5)), true, 'given a starter again, the helper starts');
  });

  it('runs inline on a heap that is not shared', () => {
    const heap = new Float32Array(seededValues(3000, 9));
    const before = heapHelperStatus().completed;
    withHelper(true, () => runHeapTask(heap, 'transposeRows', [0, 0, 30, 40, 1500], 30, FORCE_SPLIT));
    for (let j = 0; j < 30; j++) for (let d = 0; d < 40; d++) assert.equal(heap[1500 + d * 30 + j], heap[j * 40 + d]);
    assert.equal(heapHelperStatus().completed, before);
  });

  it('does not keep a process alive', () => {
    const here = fileURLToPath(new URL('../../../../src-main/engine/kernels/heap-helper.ts', import.meta.url));
    const threads = fileURLToPath(new URL('../../../../src-main/engine/engine-threads.ts', import.meta.url));
    const entries = fileURLToPath(new URL('../../../../src-main/workers/worker-entry.ts', import.meta.url));
    const code = `
      const m = await import(${JSON.stringify(here)});
      (await import(${JSON.stringify(threads)})).provideThreadStarter((await import(${JSON.stringify(entries)})).startWorkerEntryThread);
      const heap = new Float32Array(new SharedArrayBuffer(4096 * 4));
      if (!(await m.warmHeapHelper(heap))) process.exit(3);
      m.runHeapTask(heap, 'transposeRows', [0, 0, 16, 8, 2048], 16, 1 << 30);
      if (m.heapHelperStatus().completed !== 1) process.exit(4);`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.signal, null, `the child did not exit on its own (killed by ${r.signal})`);
    assert.equal(r.status, 0, r.stderr);
  });
});

describe('heap helper inside the wasm kernels', () => {
  it('gives results bit-identical to one thread, and is used', async () => {
    await useBackend('wasm');
    const heap = (tf.backend() as unknown as { wasm?: { HEAPF32?: Float32Array } }).wasm?.HEAPF32;
    assert.ok(heap, 'the wasm heap is reachable');
    if (!(heap.buffer instanceof SharedArrayBuffer)) {
      // The single-threaded build (SNCA_WASM_THREADS=1): nothing to split.
      assert.equal(await warmHeapHelper(heap), false);
      return;
    }
    assert.equal(await warmHeapHelper(heap), true, JSON.stringify(heapHelperStatus()));
    // Sizes above the split threshold (2^19 floats written), as in training.
    const x = tf.tensor4d(seededValues(32 * 24 * 24 * 32, 11), [32, 24, 24, 32]);
    const y = tf.maxPool(x, 2, 2, 'valid');
    const dy = tf.tensor4d(seededValues(y.size, 12), y.shape);
    const m = tf.tensor2d(seededValues(5000 * 128, 13), [5000, 128]);
    const dyConv = tf.tensor4d(seededValues(32 * 24 * 24 * 16, 14), [32, 24, 24, 16]);
    const run = (): Float32Array[] => [
      maxPoolGrad(dy, x, { kernel: 2, stride: 2, pad: 0 }, y),
      sliceRowsTransposed(m, 100, 4900),
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: dyConv }, { strides: 1, pad: 1, filterShape: [3, 3, 32, 16] } as unknown as tf.NamedAttrMap) as tf.Tensor,
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: dyConv }, { strides: 1, pad: 1, filterShape: [3, 3, 32, 16], columnsBudget: 300_000 } as unknown as tf.NamedAttrMap) as tf.Tensor,
    ].map((t) => {
      const v = t.dataSync() as Float32Array;
      t.dispose();
      return v;
    });
    const one = withHelper(false, run);
    const before = heapHelperStatus().completed;
    const two = withHelper(true, run);
    assert.ok(heapHelperStatus().completed > before, 'the helper took part');
    for (const [i, v] of two.entries()) assert.ok(bitsEqual(v, one[i]!), `result ${i} differs between one and two threads`);
    tf.dispose([x, y, dy, m, dyConv]);
  });
});
