import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { MemoryBank, MemoryBankError } from '../../../../src-main/engine/nca/memory-bank.ts';
import { PUBLIC_VECTORS, seededValues, TEST_BACKENDS, useBackend } from '../use-backend.ts';

interface VectorCase {
  name: string; B: number; N: number; D: number; momentum: number;
  x: number[]; memory: number[]; labels: number[]; indexes: number[];
  expected: { memory_after: { indexes: number[]; rows: number[] } };
}

const labelsOf = (n: number) => Int32Array.from({ length: n }, (_, i) => i % 3);

test('initUniform: reference range ±1/sqrt(D/3), deterministic in the seed, not normalised', async () => {
  await useBackend('cpu');
  const n = 50;
  const d = 12;
  const a = MemoryBank.initUniform(n, d, labelsOf(n), 7);
  const b = MemoryBank.initUniform(n, d, labelsOf(n), 7);
  const c = MemoryBank.initUniform(n, d, labelsOf(n), 8);
  try {
    const va = (await a.read());
    assert.deepEqual(va, (await b.read()), 'same seed, same bits');
    assert.notDeepEqual(va, (await c.read()), 'another seed, other values');
    const stdv = 1 / Math.sqrt(d / 3);
    assert.ok(va.every((v) => Math.abs(v) <= stdv + 1e-7), 'inside ±stdv');
    const mean = va.reduce((s, v) => s + v, 0) / va.length;
    const maxAbs = Math.max(...va.map(Math.abs));
    assert.ok(Math.abs(mean) < 0.1 * stdv && maxAbs > 0.9 * stdv, `spread over the range (mean ${mean}, max ${maxAbs})`);
    assert.deepEqual(a.memory.shape, [n, d]);
    assert.equal(a.memory.dtype, 'float32');
    assert.equal(a.memory.trainable, false);
    assert.deepEqual([...a.labels.dataSync()], [...labelsOf(n)]);
  } finally {
    a.dispose();
    b.dispose();
    c.dispose();
  }
});

for (const backend of TEST_BACKENDS) {
  test(`update matches the reference vectors and leaves other rows bit for bit (${backend})`, async () => {
    await useBackend(backend);
    const file = JSON.parse(readFileSync(PUBLIC_VECTORS, 'utf8')) as { cases: VectorCase[] };
    for (const c of file.cases) {
      const before = Float32Array.from(c.memory);
      const bank = MemoryBank.fromArray(before, c.N, c.D, Int32Array.from(c.labels));
      const x = tf.tensor2d(c.x, [c.B, c.D]);
      const idx = tf.tensor1d(c.indexes, 'int32');
      try {
        const tensorsBefore = tf.memory().numTensors;
        bank.update(x, idx, c.momentum);
        assert.equal(tf.memory().numTensors, tensorsBefore, 'no leaked tensors');
        const after = (await bank.read());
        const changed = new Set(c.expected.memory_after.indexes);
        const bitsBefore = new Uint32Array(before.buffer);
        const bitsAfter = new Uint32Array(after.buffer);
        for (let k = 0; k < c.N; k++) {
          if (changed.has(k)) continue;
          for (let e = 0; e < c.D; e++) assert.equal(bitsAfter[k * c.D + e], bitsBefore[k * c.D + e], `${c.name}: row ${k} changed`);
        }
        c.expected.memory_after.indexes.forEach((k, r) => {
          for (let e = 0; e < c.D; e++) {
            const err = Math.abs(after[k * c.D + e]! - c.expected.memory_after.rows[r * c.D + e]!);
            assert.ok(err <= 1e-6, `${c.name}: row ${k} element ${e} off by ${err}`);
          }
          let norm = 0;
          for (let e = 0; e < c.D; e++) norm += after[k * c.D + e]! ** 2;
          assert.ok(Math.abs(Math.sqrt(norm) - 1) < 1e-5, 'updated rows are unit length');
        });
      } finally {
        tf.dispose([x, idx]);
        bank.dispose();
      }
    }
  });
}

test('momentum 1 keeps the direction of the old rows; momentum 0 takes the features', async () => {
  await useBackend('wasm');
  const d = 4;
  const old = Float32Array.from([3, 0, 0, 4, 1, 1, 1, 1, 0, 2, 0, 0]);
  const x = tf.tensor2d([[0, 0, 5, 0]]);
  const idx = tf.tensor1d([0], 'int32');
  const keep = MemoryBank.fromArray(old, 3, d, labelsOf(3));
  const take = MemoryBank.fromArray(old, 3, d, labelsOf(3));
  try {
    keep.update(x, idx, 1);
    take.update(x, idx, 0);
    assert.deepEqual([...(await keep.read()).slice(0, 4)].map((v) => Math.round(v * 1e6) / 1e6), [0.6, 0, 0, 0.8]);
    assert.deepEqual([...(await take.read()).slice(0, 4)], [0, 0, 1, 0]);
    assert.deepEqual((await take.read()).slice(4), old.slice(4));
  } finally {
    tf.dispose([x, idx]);
    keep.dispose();
    take.dispose();
  }
});

test('read/write round-trip, and wrong sizes or use after dispose are errors', async () => {
  await useBackend('wasm');
  const bank = MemoryBank.initUniform(6, 5, labelsOf(6), 1);
  const values = seededValues(30, 4);
  bank.write(values);
  assert.deepEqual((await bank.read()), values);
  const copy = (await bank.read());
  copy[0] = 42;
  assert.notEqual((await bank.read())[0], 42, 'read returns a copy');
  assert.throws(() => bank.write(new Float32Array(29)), (e: unknown) => e instanceof MemoryBankError && /expected 6×5 = 30 values, got 29/.test(e.message));
  const x = tf.zeros([2, 4]) as tf.Tensor2D;
  const idx = tf.tensor1d([0, 1], 'int32');
  assert.throws(() => bank.update(x, idx, 0.5), /features must be \[B, 5\]/);
  tf.dispose([x, idx]);
  assert.throws(() => MemoryBank.fromArray(new Float32Array(6), 2, 3, Int32Array.from([0])), /1 labels for 2 memory rows/);
  const tensors = tf.memory().numTensors;
  bank.dispose();
  assert.equal(tf.memory().numTensors, tensors - 2, 'memory and labels released');
  bank.dispose();
  await assert.rejects(() => bank.read(), /used after dispose/);
});
