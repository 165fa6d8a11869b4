/**
 * Gradient accumulation (iterSize): the optimizer steps every iterSize iterations (and at
 * the epoch's last one) with the SUM of the accumulated gradients, the memory bank is
 * updated at every iteration, and the loss is divided by iterSize before the backward pass
 * (so the summed gradient is the mean) while the reported loss stays unscaled.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { GradientAccumulator } from '../../../../src-main/engine/train/gradient-accumulator.ts';
import { trainStep, remapToParamNames } from '../../../../src-main/engine/train/trainer.ts';
import { createModel } from '../../../../src-main/engine/models/model.ts';
import { MemoryBank } from '../../../../src-main/engine/nca/memory-bank.ts';
import type { Batch } from '../../../../src-main/engine/data/dataset.ts';
import { seededValues, useBackend } from '../use-backend.ts';

function grads(iteration: number): Map<string, tf.Tensor> {
  const v = iteration + 1;
  return new Map<string, tf.Tensor>([
    ['w', tf.tensor1d([v, 10 * v])],
    ['b', tf.scalar(-v)],
  ]);
}

test('GradientAccumulator(2): steps at iterations 2, 4 and the final odd one with summed gradients, leaking nothing', async () => {
  await useBackend('cpu');
  const before = tf.memory().numTensors;
  const stepped: { w: number[]; b: number }[] = [];
  const acc = new GradientAccumulator(2, (g) => {
    stepped.push({ w: Array.from(g.get('w')!.dataSync()), b: g.get('b')!.dataSync()[0]! });
  });
  const iterations = 5;
  const ran: boolean[] = [];
  for (let epoch = 0; epoch < 2; epoch++) {
    for (let i = 0; i < iterations; i++) {
      const g = grads(i);
      ran.push(acc.add(g, i, iterations));
      for (const t of g.values()) t.dispose(); // the caller keeps ownership (the trainer disposes them)
    }
    assert.equal(acc.pending, 0, 'nothing is carried into the next epoch');
  }
  assert.deepEqual(ran, [false, true, false, true, true, false, true, false, true, true]);
  const perEpoch = [
    { w: [1 + 2, 10 + 20], b: -3 },
    { w: [3 + 4, 30 + 40], b: -7 },
    { w: [5, 50], b: -5 },
  ];
  assert.deepEqual(stepped, [...perEpoch, ...perEpoch]);
  assert.equal(tf.memory().numTensors, before, 'accumulated sums are disposed after each step');
});

test('GradientAccumulator: a partial sum is freed by dispose (cancel), and every = 1 passes gradients through', async () => {
  await useBackend('cpu');
  const before = tf.memory().numTensors;
  let steps = 0;
  const acc = new GradientAccumulator(3, () => steps++);
  const g = grads(0);
  acc.add(g, 0, 10);
  acc.add(g, 1, 10);
  assert.equal(acc.pending, 2);
  acc.dispose();
  for (const t of g.values()) t.dispose();
  assert.equal(steps, 0);
  assert.equal(tf.memory().numTensors, before);

  const g1 = grads(4);
  let seen: Map<string, tf.Tensor> | null = null;
  const direct = new GradientAccumulator(1, (x) => (seen = x));
  assert.equal(direct.add(g1, 0, 3), true);
  assert.equal(seen, g1, 'no copy with iterSize 1');
  for (const t of g1.values()) t.dispose();
  assert.equal(tf.memory().numTensors, before);
  assert.throws(() => new GradientAccumulator(0, () => {}), RangeError);
});

/** A small-convnet, its bank and 3 batches of 4 images; everything deterministic. */
function setup() {
  const n = 12;
  const lowDim = 8;
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  const model = createModel('small-convnet', { lowDim, inputShape: [8, 8, 1], seed: 3 });
  const bank = MemoryBank.initUniform(n, lowDim, labels, 5);
  const [h, w, c] = model.inputShape;
  const batches: Batch[] = [0, 1, 2].map((k) => {
    const indexes = Int32Array.from({ length: 4 }, (_, i) => 4 * k + i);
    return {
      images: seededValues(4 * h * w * c, 10 + k),
      shape: [4, h, w, c],
      labels: Int32Array.from(indexes, (i) => labels[i]!),
      indexes,
    };
  });
  return { model, bank, batches, params: [...model.params.values()] };
}

interface Recorded {
  losses: number[];
  /** Gradients of every iteration, by parameter name. */
  grads: Map<string, Float32Array>[];
  /** Memory bank after every iteration. */
  memories: Float32Array[];
  /** Iterations (1-based) after which the optimizer stepped. */
  optimizerSteps: number[];
}

async function run(iterSize: number): Promise<Recorded> {
  const { model, bank, batches, params } = setup();
  const rec: Recorded = { losses: [], grads: [], memories: [], optimizerSteps: [] };
  let iteration = 0;
  const acc = new GradientAccumulator(iterSize, () => rec.optimizerSteps.push(iteration + 1));
  try {
    for (; iteration < batches.length; iteration++) {
      const loss = trainStep({
        batch: batches[iteration]!,
        model,
        bank,
        params,
        config: { temperature: 0.5, iterSize },
        marginOverT: 0,
        memoryMomentum: 0.5,
        step: (g) => {
          const named = remapToParamNames(model, g);
          rec.grads.push(new Map([...named].map(([k, t]) => [k, Float32Array.from(t.dataSync())])));
          acc.add(g, iteration, batches.length);
        },
      });
      rec.losses.push(loss.dataSync()[0]!);
      loss.dispose();
      rec.memories.push(Float32Array.from(bank.memory.dataSync()));
    }
  } finally {
    acc.dispose();
    model.dispose();
    bank.dispose();
  }
  return rec;
}

test('trainStep with iterSize 2: bank updated every iteration, optimizer every 2 (and at the last), gradient = loss/iterSize', async () => {
  await useBackend('cpu');
  const before = tf.memory().numTensors;
  const one = await run(1);
  const two = await run(2);
  assert.equal(tf.memory().numTensors, before, 'no tensor leaks');

  assert.deepEqual(one.optimizerSteps, [1, 2, 3]);
  assert.deepEqual(two.optimizerSteps, [2, 3], 'steps at iteration 2 and at the epoch\'s last (3rd) iteration');

  // The memory moves at every iteration, and identically (the optimizer does not run here,
  // so the weights — and hence the features — are the same in both runs).
  let prev: Float32Array | null = null;
  for (let i = 0; i < 3; i++) {
    if (prev) assert.notDeepEqual(two.memories[i], prev, `bank updated at iteration ${i + 1}`);
    assert.deepEqual(two.memories[i], one.memories[i]);
    prev = two.memories[i]!;
  }

  // Reported loss is unscaled; the gradient is that of loss / iterSize.
  for (let i = 0; i < 3; i++) {
    assert.ok(Math.abs(two.losses[i]! - one.losses[i]!) <= 1e-6 * Math.max(1, Math.abs(one.losses[i]!)), `loss ${i}: ${two.losses[i]} vs ${one.losses[i]}`);
    for (const [name, g1] of one.grads[i]!) {
      const g2 = two.grads[i]!.get(name)!;
      let maxAbs = 0;
      let maxErr = 0;
      for (let j = 0; j < g1.length; j++) {
        maxAbs = Math.max(maxAbs, Math.abs(g1[j]!));
        maxErr = Math.max(maxErr, Math.abs(g2[j]! * 2 - g1[j]!));
      }
      assert.ok(maxErr <= 1e-5 * Math.max(maxAbs, 1e-6), `${name} at iteration ${i + 1}: 2·g(iterSize 2) differs from g(iterSize 1) by ${maxErr} (max |g| ${maxAbs})`);
    }
  }
});
