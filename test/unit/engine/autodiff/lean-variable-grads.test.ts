/**
 * leanVariableGrads: the same numbers as tf.variableGrads (bit for bit: same tape, same
 * order, same arithmetic), far less memory at the bottom of the backward pass, no leaks,
 * and a clean tape after errors.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { leanBackwardAvailable, leanVariableGrads } from '../../../../src-main/engine/autodiff/lean-variable-grads.ts';
import { createModel, type Model } from '../../../../src-main/engine/models/model.ts';
import { ncaLoss } from '../../../../src-main/engine/nca/nca-loss.ts';
import { seededValues, useBackend } from '../use-backend.ts';

type Grads = (f: () => tf.Scalar, vars: tf.Variable[]) => { value: tf.Scalar; grads: tf.NamedTensorMap };

interface StepResult {
  loss: Float32Array;
  grads: Map<string, Float32Array>;
  runningMean: Float32Array;
  /** Peak tensor bytes during the step above what remains after it (the returned gradients included). */
  transientPeakBytes: number;
}

/** One SNCA loss + gradient on a fresh, identically seeded model; everything read back. */
async function ncaStep(grads: Grads, batch: number): Promise<StepResult> {
  const model: Model = createModel('cifar-resnet18', { inputShape: [16, 16, 3], lowDim: 16, seed: 3 });
  const side = 16;
  const n = 40;
  const x = tf.tensor4d(seededValues(batch * side * side * 3, 1), [batch, side, side, 3]);
  const memory = tf.tidy(() => {
    const m = tf.tensor2d(seededValues(n * 16, 2), [n, 16]);
    return tf.div(m, tf.norm(m, 2, 1, true)) as tf.Tensor2D;
  });
  const labels = tf.tensor1d(Int32Array.from({ length: n }, (_, i) => i % 4), 'int32');
  const indexes = tf.tensor1d(Int32Array.from({ length: batch }, (_, i) => i * 2), 'int32');
  try {
    const params = [...model.params.values()];
    let out: { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined;
    let endBytes = 0;
    const profile = await tf.profile(() => {
      out = grads(() => ncaLoss(model.apply(x, true), memory, labels, indexes, { temperature: 0.1, marginOverT: 0, chunkSize: 16 }), params);
      endBytes = tf.memory().numBytes;
    });
    const { value, grads: g } = out!;
    const byName = new Map<string, Float32Array>();
    for (const [name, v] of model.params) byName.set(name, (await g[v.name]!.data()) as Float32Array);
    const result: StepResult = {
      loss: (await value.data()) as Float32Array,
      grads: byName,
      runningMean: (await model.buffers.get('layer1.0.bn1.running_mean')!.data()) as Float32Array,
      transientPeakBytes: profile.peakBytes - endBytes,
    };
    value.dispose();
    tf.dispose(Object.values(g));
    return result;
  } finally {
    tf.dispose([x, memory, labels, indexes]);
    model.dispose();
  }
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`leanVariableGrads (${backend})`, () => {
    before(async () => {
      await useBackend(backend);
    });

    it('is available on this tfjs (else the trainer silently falls back to the hungry path)', () => {
      assert.equal(leanBackwardAvailable(), true);
    });

    it('handles a gradient function that returns dy itself for two inputs, and leaves unconnected variables out', async () => {
      const a = tf.variable(tf.tensor1d([1, 2, 3]), true, `lean-a-${backend}`);
      const b = tf.variable(tf.tensor1d([0.5, -1, 4]), true, `lean-b-${backend}`);
      const unused = tf.variable(tf.tensor1d([7]), true, `lean-unused-${backend}`);
      try {
        // Add's gradient is dy, unchanged, for both a and b; (a+b) is used twice.
        const f = (): tf.Scalar => tf.tidy(() => {
          const s = tf.add(a, b);
          return tf.sum(tf.mul(s, tf.add(s, a)));
        });
        const stock = tf.variableGrads(f, [a, b, unused]);
        const before = tf.memory().numTensors;
        const lean = leanVariableGrads(f, [a, b, unused]);
        assert.deepEqual(Object.keys(lean.grads).sort(), Object.keys(stock.grads).filter((k) => stock.grads[k] != null).sort());
        assert.equal(lean.grads[unused.name], undefined);
        assert.deepEqual(await lean.grads[a.name]!.data(), await stock.grads[a.name]!.data());
        assert.deepEqual(await lean.grads[b.name]!.data(), await stock.grads[b.name]!.data());
        assert.deepEqual(await lean.value.data(), await stock.value.data());
        tf.dispose([lean.value, ...Object.values(lean.grads)]);
        assert.equal(tf.memory().numTensors, before);
        tf.dispose([stock.value, ...Object.values(stock.grads).filter((g): g is tf.Tensor => g != null)]);
      } finally {
        tf.dispose([a, b, unused]);
      }
    });

    it('leaves a clean tape after the loss function throws, and after a non-scalar result', () => {
      const a = tf.variable(tf.tensor1d([1, 2]), true, `lean-throw-${backend}`);
      try {
        const before = tf.memory().numTensors;
        assert.throws(() => leanVariableGrads(() => {
          tf.mul(a, 2);
          throw new Error('boom');
        }, [a]), /boom/);
        assert.throws(() => leanVariableGrads(() => tf.mul(a, 2) as unknown as tf.Scalar, [a]), /must return a scalar, got rank 1/);
        assert.equal(tf.memory().numTensors, before);
        assert.equal(tf.engine().state.gradientDepth, 0);
        assert.equal(leanBackwardAvailable(), true);
        const { value, grads } = leanVariableGrads(() => tf.sum(tf.square(a)), [a]);
        assert.deepEqual(Array.from(grads[a.name]!.dataSync()), [2, 4]);
        tf.dispose([value, ...Object.values(grads)]);
      } finally {
        a.dispose();
      }
    });

    it('falls back to tf.variableGrads when nested inside another gradient computation', () => {
      const a = tf.variable(tf.scalar(3), true, `lean-nested-${backend}`);
      try {
        // d/da of (d/da a³) = 6a: the inner call must record on the outer tape.
        const outer = tf.variableGrads(() => {
          const inner = leanVariableGrads(() => tf.mul(a, tf.mul(a, a)) as tf.Scalar, [a]);
          return tf.sum(inner.grads[a.name]!) as tf.Scalar;
        }, [a]);
        assert.ok(Math.abs(outer.grads[a.name]!.dataSync()[0]! - 18) < 1e-4);
        tf.dispose([outer.value, ...Object.values(outer.grads).filter((g): g is tf.Tensor => g != null)]);
      } finally {
        a.dispose();
      }
    });
  });
}

// The ResNet cases run on wasm only: the backward walk is backend-independent, and the cpu
// backend needs ~20 s for one ResNet-18 step even at 8×8 (measured).
describe('leanVariableGrads through a ResNet and the NCA loss (wasm)', () => {
  before(async () => {
    await useBackend('wasm');
  });

    it('gives tf.variableGrads\' loss, gradients and BatchNorm updates bit for bit, ', async () => {
      const stock = await ncaStep((f, v) => tf.variableGrads(f, v), 4);
      const lean = await ncaStep(leanVariableGrads, 4);
      assert.deepEqual(lean.loss, stock.loss);
      assert.deepEqual(lean.runningMean, stock.runningMean);
      assert.equal(lean.grads.size, stock.grads.size);
      assert.equal(lean.grads.size, 62, 'every CIFAR ResNet-18 parameter gets a gradient');
      for (const [name, g] of stock.grads) assert.deepEqual(lean.grads.get(name), g, name);
    });

    it('needs far less memory than tf.variableGrads at the bottom of the backward pass, and leaks nothing', async () => {
      await ncaStep(leanVariableGrads, 8); // warm-up: kernel-side caches are not the subject
      const before = tf.memory().numTensors;
      const lean = await ncaStep(leanVariableGrads, 8);
      assert.equal(tf.memory().numTensors, before, 'tensors leaked');
      const stock = await ncaStep((f, v) => tf.variableGrads(f, v), 8);
      // Measured 0.28 (16×16, batch 8): the lean peak is the forward pass's saved activations.
      assert.ok(lean.transientPeakBytes < 0.4 * stock.transientPeakBytes, `lean transient peak ${lean.transientPeakBytes} vs stock ${stock.transientPeakBytes}`);
    });
});
