/**
 * Running out of wasm memory is an ordinary error that unwinds cleanly and leaves the engine
 * usable (the threaded build used to spin forever on its allocator lock), and the guard's
 * byte counts follow the tensors.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { WasmHeapExhaustedError, resetWasmHeapPeak, wasmHeapStats } from '../../../src-main/engine/wasm-heap-guard.ts';
import { describeEngineFailure } from '../../../src-main/engine/train/engine-failure.ts';
import { useBackend } from './use-backend.ts';

interface HeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  disposeData(dataId: object): boolean;
}

describe('wasm heap guard', () => {
  before(async () => {
    await useBackend('wasm');
  });

  it('reserves the heap up front and counts live and peak tensor bytes', () => {
    const stats = wasmHeapStats(tf.backend());
    assert.ok(stats, 'the wasm backend is guarded');
    assert.ok(stats.reservedBytes >= 3.5 * 2 ** 30, `reserved ${stats.reservedBytes}`);
    resetWasmHeapPeak(tf.backend());
    const live = stats.liveBytes;
    const t = tf.zeros([1000, 250]);
    assert.equal(stats.liveBytes, live + 1_000_000);
    t.dispose();
    assert.equal(stats.liveBytes, live);
    assert.equal(stats.peakBytes, live + 1_000_000);
  });

  it('turns an allocation that does not fit into WasmHeapExhaustedError; tidy unwinds and the engine keeps working', () => {
    const backend = tf.backend() as unknown as HeapBackend;
    const stats = wasmHeapStats(tf.backend())!;
    const tensorsBefore = tf.memory().numTensors;
    const liveBefore = stats.liveBytes;
    const held: tf.TensorInfo[] = [];
    let caught: unknown;
    try {
      tf.tidy(() => {
        tf.ones([64]);
        // 1 GB blocks, never written: address space only, no resident memory.
        for (let i = 0; i < 8; i++) held.push(backend.makeOutput([256, 1024, 1024], 'float32'));
      });
    } catch (e) {
      caught = e;
    } finally {
      for (const h of held) backend.disposeData(h.dataId);
    }
    assert.ok(caught instanceof WasmHeapExhaustedError, `got ${String(caught)}`);
    assert.ok(held.length >= 3 && held.length < 4, `${held.length} GB fitted`);
    assert.match(caught.message, /heap \(4 GB\) is exhausted: 1024\.0 MB more were needed/);
    assert.match(describeEngineFailure(caught, 400), /at batch size 400\. Lower the batch size/);
    assert.equal(tf.memory().numTensors, tensorsBefore, 'the tidy scope released its tensors');
    assert.equal(stats.liveBytes, liveBefore);
    const sum = tf.tidy(() => tf.sum(tf.mul(tf.ones([1000]), 2)).dataSync()[0]);
    assert.equal(sum, 2000, 'the engine still computes');
  });
});
