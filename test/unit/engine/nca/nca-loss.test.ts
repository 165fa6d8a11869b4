import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { NcaInputError, ncaDiagnostics, ncaLoss, ncaLossAndGrad, type NcaLossOptions } from '../../../../src-main/engine/nca/nca-loss.ts';
import { normaliseRows, seededValues, TEST_BACKENDS, useBackend } from '../use-backend.ts';
import { ncaReference, type NcaProblem } from './nca-reference.ts';

/**
 * A small problem with unit-length rows, `c` classes, a margin and one singleton class
 * whose only row is in the batch (so that sample must be dropped).
 */
function makeProblem(o: { b: number; n: number; d: number; c: number; t: number; mu: number; seed: number }): NcaProblem {
  const labels = new Int32Array(o.n);
  for (let j = 0; j < o.n; j++) labels[j] = j % (o.c - 1);
  labels[o.n - 1] = o.c - 1; // the singleton class
  const indexes = new Int32Array(o.b);
  const step = Math.floor((o.n - 1) / (o.b - 1));
  for (let i = 0; i < o.b - 1; i++) indexes[i] = i * step + (i % 3);
  indexes[o.b - 1] = o.n - 1;
  return {
    b: o.b, n: o.n, d: o.d, t: o.t, mu: o.mu, labels, indexes,
    x: normaliseRows(seededValues(o.b * o.d, o.seed), o.d),
    memory: normaliseRows(seededValues(o.n * o.d, o.seed + 1), o.d),
  };
}

function tensorsOf(p: NcaProblem) {
  return {
    x: tf.tensor2d(Float32Array.from(p.x), [p.b, p.d]),
    memory: tf.tensor2d(Float32Array.from(p.memory), [p.n, p.d]),
    labels: tf.tensor1d(Int32Array.from(p.labels), 'int32'),
    indexes: tf.tensor1d(Int32Array.from(p.indexes), 'int32'),
  };
}

/** Loss and gradient through tf.valueAndGrad (the tape path training uses). */
function lossAndGrad(p: NcaProblem, opts: Partial<NcaLossOptions> = {}): { loss: number; grad: Float32Array } {
  const t = tensorsOf(p);
  try {
    const f = (x: tf.Tensor) => ncaLoss(x as tf.Tensor2D, t.memory, t.labels, t.indexes, { temperature: p.t, marginOverT: p.mu, ...opts });
    const { value, grad } = tf.valueAndGrad(f)(t.x);
    const out = { loss: value.dataSync()[0]!, grad: grad.dataSync() as Float32Array };
    tf.dispose([value, grad]);
    return out;
  } finally {
    tf.dispose(Object.values(t));
  }
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i]! - b[i]!);
    if (!(e <= m)) m = e;
  }
  return m;
}

for (const backend of TEST_BACKENDS) {
  test(`loss and gradient match the float64 definition (${backend})`, async () => {
    await useBackend(backend);
    for (const mu of [0, 1.5]) {
      const p = makeProblem({ b: 7, n: 41, d: 6, c: 5, t: 0.1, mu, seed: 5 });
      const ref = ncaReference(p);
      assert.deepEqual(ref.dropped, [6], 'the problem has its singleton sample');
      const got = lossAndGrad(p, { chunkSize: 16 });
      assert.ok(Math.abs(got.loss - ref.loss) <= 1e-5 * Math.abs(ref.loss), `loss ${got.loss} vs ${ref.loss}`);
      assert.ok(maxAbs(got.grad, ref.grad) <= 2e-5, `grad error ${maxAbs(got.grad, ref.grad)}`);
      // The dropped sample's gradient row is exactly zero and it still counts in B.
      assert.ok(got.grad.slice(6 * p.d, 7 * p.d).every((g) => g === 0), 'zero gradient row for the dropped sample');
    }
  });

  test(`chunked loss and gradient equal the unchunked ones within 1e-5 (${backend})`, async () => {
    await useBackend(backend);
    const p = makeProblem({ b: 9, n: 103, d: 8, c: 6, t: 0.05, mu: 2, seed: 9 });
    const whole = lossAndGrad(p, { chunkSize: p.n });
    for (const chunkSize of [1, 7, 10, 64, 1000]) {
      const part = lossAndGrad(p, { chunkSize });
      assert.ok(Math.abs(part.loss - whole.loss) <= 1e-5, `chunk ${chunkSize}: loss ${part.loss} vs ${whole.loss}`);
      assert.ok(maxAbs(part.grad, whole.grad) <= 1e-5, `chunk ${chunkSize}: grad differs by ${maxAbs(part.grad, whole.grad)}`);
    }
  });

  test(`ncaLossAndGrad gives what the tape gives (${backend})`, async () => {
    await useBackend(backend);
    const p = makeProblem({ b: 6, n: 50, d: 5, c: 4, t: 0.08, mu: 1, seed: 14 });
    for (const chunkSize of [9, p.n]) {
      const taped = lossAndGrad(p, { chunkSize });
      const t = tensorsOf(p);
      try {
        const direct = ncaLossAndGrad(t.x, t.memory, t.labels, t.indexes, { temperature: p.t, marginOverT: p.mu, chunkSize });
        assert.equal(direct.loss.dataSync()[0], taped.loss);
        assert.deepEqual(direct.grad.dataSync(), taped.grad);
        tf.dispose([direct.loss, direct.grad]);
      } finally {
        tf.dispose(Object.values(t));
      }
    }
  });

  test(`no tensors leak from the loss, its gradient or the diagnostics (${backend})`, async () => {
    await useBackend(backend);
    const p = makeProblem({ b: 5, n: 30, d: 4, c: 4, t: 0.1, mu: 0.5, seed: 2 });
    const t = tensorsOf(p);
    try {
      const opts = { temperature: p.t, marginOverT: p.mu, chunkSize: 7 };
      const before = tf.memory().numTensors;
      ncaLoss(t.x, t.memory, t.labels, t.indexes, opts).dispose();
      tf.grad((x: tf.Tensor) => ncaLoss(x as tf.Tensor2D, t.memory, t.labels, t.indexes, opts))(t.x).dispose();
      const both = ncaLossAndGrad(t.x, t.memory, t.labels, t.indexes, opts);
      tf.dispose([both.loss, both.grad]);
      await ncaDiagnostics(t.x, t.memory, t.labels, t.indexes, opts);
      assert.equal(tf.memory().numTensors, before);
    } finally {
      tf.dispose(Object.values(t));
    }
  });
}

test('finite differences of the implemented loss agree with its gradient (cpu, float32)', async () => {
  await useBackend('cpu');
  // A warm temperature keeps the curvature small enough for float32 central differences.
  const p = makeProblem({ b: 4, n: 15, d: 3, c: 4, t: 0.5, mu: 0.4, seed: 21 });
  const t = tensorsOf(p);
  try {
    const opts = { temperature: p.t, marginOverT: p.mu, chunkSize: 4 };
    const lossAt = (x: Float32Array) => tf.tidy(() => ncaLoss(tf.tensor2d(x, [p.b, p.d]), t.memory, t.labels, t.indexes, opts).dataSync()[0]!);
    const analytic = tf.tidy(() => tf.grad((x: tf.Tensor) => ncaLoss(x as tf.Tensor2D, t.memory, t.labels, t.indexes, opts))(t.x).dataSync());
    const x0 = Float32Array.from(p.x);
    const h = 1e-2;
    let worst = 0;
    for (let e = 0; e < x0.length; e++) {
      const plus = Float32Array.from(x0);
      const minus = Float32Array.from(x0);
      plus[e]! += h;
      minus[e]! -= h;
      const fd = (lossAt(plus) - lossAt(minus)) / (plus[e]! - minus[e]!);
      const err = Math.abs(fd - analytic[e]!) / (3e-4 + 3e-3 * Math.abs(analytic[e]!));
      worst = Math.max(worst, err);
    }
    assert.ok(worst <= 1, `finite differences disagree with the gradient (worst ratio to tolerance ${worst.toFixed(2)})`);
    assert.ok(analytic.some((g) => Math.abs(g) > 1e-2), 'the gradient is not trivially zero');
  } finally {
    tf.dispose(Object.values(t));
  }
});

test('central differences of the float64 definition agree with the gradient at T = 0.07 (cpu)', async () => {
  await useBackend('cpu');
  const p = makeProblem({ b: 5, n: 23, d: 4, c: 4, t: 0.07, mu: 1, seed: 33 });
  const got = lossAndGrad(p, { chunkSize: 6 });
  const h = 1e-6;
  const x0 = Float64Array.from(p.x);
  let worst = 0;
  for (let e = 0; e < x0.length; e++) {
    const plus = Float64Array.from(x0);
    const minus = Float64Array.from(x0);
    plus[e]! += h;
    minus[e]! -= h;
    const fd = (ncaReference(p, plus).loss - ncaReference(p, minus).loss) / (2 * h);
    worst = Math.max(worst, Math.abs(fd - got.grad[e]!));
  }
  assert.ok(worst <= 5e-5, `max |finite difference − gradient| = ${worst}`);
});

for (const backend of TEST_BACKENDS) {
  test(`T = 0.01: logits near 1/T neither overflow nor underflow (${backend})`, async () => {
    await useBackend(backend);
    const d = 16;
    const n = 60;
    const b = 6;
    const c = 4;
    // Four tight classes around ±e0 and ±e1. Batch rows 0–4 are memory rows themselves, so
    // their own-class logits are ~98 (past float32's exp limit of 88.7 for a naive
    // implementation); row 5 points away from its class (−e0 for a class at +e0), so its
    // same-class logits are ~200 below the best ones and its probability (~e^-200)
    // underflows float32 — it must still count, with a finite loss and gradient.
    const e = normaliseRows(seededValues(2 * d, 1), d);
    const centre = (cls: number, k: number) => (cls % 2 === 0 ? 1 : -1) * e[(cls >> 1) * d + k]!;
    const memory = new Float32Array(n * d);
    const noise = seededValues(n * d, 3);
    const labels = new Int32Array(n);
    for (let j = 0; j < n; j++) {
      labels[j] = j % c;
      for (let k = 0; k < d; k++) memory[j * d + k] = centre(labels[j]!, k) + 0.08 * noise[j * d + k]!;
    }
    normaliseRows(memory, d);
    const indexes = Int32Array.from([0, 9, 18, 27, 36, 44]);
    const x = new Float32Array(b * d);
    for (let i = 0; i < b - 1; i++) for (let k = 0; k < d; k++) x[i * d + k] = memory[indexes[i]! * d + k]!;
    for (let k = 0; k < d; k++) x[5 * d + k] = -centre(labels[44]!, k);
    normaliseRows(x, d);
    const p: NcaProblem = { b, n, d, t: 0.01, mu: 0.5, x, memory, labels, indexes };
    const ref = ncaReference(p);
    assert.deepEqual(ref.dropped, []);
    assert.ok(ref.logProb[5]! < -150, `the far sample's log prob is ${ref.logProb[5]}`);
    for (const chunkSize of [7, n]) {
      const got = lossAndGrad(p, { chunkSize });
      assert.ok(Number.isFinite(got.loss) && got.grad.every(Number.isFinite), 'finite loss and gradient');
      assert.ok(Math.abs(got.loss - ref.loss) <= 1e-5 * Math.abs(ref.loss), `loss ${got.loss} vs ${ref.loss}`);
      const scale = Math.max(...ref.grad.map(Math.abs));
      assert.ok(maxAbs(got.grad, ref.grad) <= 1e-4 * scale, `grad error ${maxAbs(got.grad, ref.grad)} (scale ${scale})`);
    }
    const t = tensorsOf(p);
    try {
      const diag = await ncaDiagnostics(t.x, t.memory, t.labels, t.indexes, { temperature: p.t, marginOverT: p.mu });
      assert.deepEqual(diag.dropped, []);
      assert.ok(Math.abs(diag.logProb[5]! - ref.logProb[5]!) <= 1e-3, `log prob ${diag.logProb[5]} vs ${ref.logProb[5]}`);
      assert.equal(diag.prob[5], 0, 'prob itself underflows in float32');
    } finally {
      tf.dispose(Object.values(t));
    }
  });
}

test('bad inputs are refused with a message naming the problem', async () => {
  await useBackend('cpu');
  const x = tf.zeros([2, 3]) as tf.Tensor2D;
  const memory = tf.zeros([5, 4]) as tf.Tensor2D;
  const memory3 = tf.zeros([5, 3]) as tf.Tensor2D;
  const labels = tf.tensor1d([0, 1, 0, 1, 0], 'int32');
  const indexes = tf.tensor1d([0, 1], 'int32');
  try {
    assert.throws(() => ncaLoss(x, memory, labels, indexes, { temperature: 0.1 }), (e: unknown) => e instanceof NcaInputError && /feature size 3 of x does not match the memory's 4/.test(e.message));
    assert.throws(() => ncaLoss(x, memory3, labels, indexes, { temperature: 0 }), /temperature must be a positive number/);
    assert.throws(() => ncaLoss(x, memory3, tf.tensor1d([0, 1], 'int32'), indexes, { temperature: 0.1 }), /labels must be \[5\]/);
    assert.throws(() => ncaLoss(x, memory3, labels, tf.tensor1d([0, 1], 'float32'), { temperature: 0.1 }), /must be int32/);
    assert.throws(() => ncaLoss(x, memory3, labels, indexes, { temperature: 0.1, chunkSize: 0 }), /chunkSize must be a positive integer/);
  } finally {
    tf.dispose([x, memory, memory3, labels, indexes]);
  }
});
