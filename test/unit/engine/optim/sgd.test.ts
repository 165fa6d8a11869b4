import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { SGD, SgdError, type SgdOptions } from '../../../../src-main/engine/optim/sgd.ts';
import { TEST_BACKENDS, useBackend } from '../use-backend.ts';

const G1 = [0.5, 0.25];
const G2 = [-1, 2];

function close(actual: ArrayLike<number>, expected: number[], what: string): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= 1e-6, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

/** Two steps from p = [1, −2] with gradients G1 then G2; returns p after each step. */
function variable(values: number[], name: string): tf.Variable {
  const init = tf.tensor1d(values);
  const v = tf.variable(init, true, name);
  init.dispose();
  return v;
}

let counter = 0;

function twoSteps(opts: SgdOptions): [Float32Array, Float32Array] {
  const p = variable([1, -2], `p-${counter++}`);
  const params = new Map([['w', p]]);
  const sgd = new SGD(opts);
  try {
    const g1 = tf.tensor1d(G1);
    sgd.step(params, new Map([['w', g1]]));
    const after1 = p.dataSync().slice() as Float32Array;
    const g2 = tf.tensor1d(G2);
    sgd.step(params, new Map([['w', g2]]));
    tf.dispose([g1, g2]);
    return [after1, p.dataSync().slice() as Float32Array];
  } finally {
    sgd.dispose();
    p.dispose();
  }
}

for (const backend of TEST_BACKENDS) {
  test(`one and two steps equal hand-computed PyTorch values (${backend})`, async () => {
    await useBackend(backend);
    const before = tf.memory().numTensors;
    // Plain SGD: p − lr·g.
    let [s1, s2] = twoSteps({ lr: 0.1 });
    close(s1, [0.95, -2.025], 'plain step 1');
    close(s2, [1.05, -2.225], 'plain step 2');
    // Momentum 0.9, weight decay 0.01: d_p = g + wd·p; buf = d_p, then 0.9·buf + d_p.
    [s1, s2] = twoSteps({ lr: 0.1, momentum: 0.9, weightDecay: 0.01 });
    close(s1, [0.949, -2.023], 'momentum step 1');
    close(s2, [1.002151, -2.241677], 'momentum step 2');
    // Nesterov: d_p + 0.9·buf.
    [s1, s2] = twoSteps({ lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true });
    close(s1, [0.9031, -2.0437], 'nesterov step 1');
    close(s2, [1.05007411, -2.43844697], 'nesterov step 2');
    // Dampening applies from the second step on (the first buffer is d_p itself).
    [s1, s2] = twoSteps({ lr: 0.1, momentum: 0.9, dampening: 0.5 });
    close(s1, [0.95, -2.025], 'dampening step 1');
    close(s2, [0.955, -2.1475], 'dampening step 2');
    assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
  });
}

test('momentum state survives a checkpoint round trip; setLr changes the step', async () => {
  await useBackend('wasm');
  const opts: SgdOptions = { lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true };
  const p = variable([1, -2], 'ckpt-p');
  const params = new Map([['w', p]]);
  const a = new SGD(opts);
  const g1 = tf.tensor1d(G1);
  const g2 = tf.tensor1d(G2);
  a.step(params, new Map([['w', g1]]));
  const state = (await a.state());
  close(state.get('w')!, [0.51, 0.23], 'buffer after one step');
  a.dispose();
  const b = new SGD(opts);
  b.loadState(state, params);
  b.step(params, new Map([['w', g2]]));
  close(p.dataSync(), [1.05007411, -2.43844697], 'resumed step 2');
  b.setLr(0);
  assert.equal(b.learningRate, 0);
  const frozen = p.dataSync().slice();
  b.step(params, new Map([['w', g2]]));
  assert.deepEqual(p.dataSync(), frozen, 'lr 0 leaves the parameter');
  assert.throws(() => b.loadState(new Map([['nope', new Float32Array(2)]]), params), /unknown parameter "nope"/);
  assert.throws(() => b.loadState(new Map([['w', new Float32Array(3)]]), params), /has 3 values, the parameter 2/);
  b.dispose();
  tf.dispose([g1, g2, p]);
});

test('parameters without a gradient are left alone; bad gradients and options are refused', async () => {
  await useBackend('cpu');
  const w = variable([1, 2], 'skip-w');
  const v = variable([3], 'skip-v');
  const params = new Map([['w', w], ['v', v]]);
  const sgd = new SGD({ lr: 1, momentum: 0.5 });
  const g = tf.tensor1d([1, 1]);
  sgd.step(params, new Map([['w', g]]));
  assert.deepEqual([...v.dataSync()], [3]);
  assert.deepEqual([...w.dataSync()], [0, 1]);
  assert.deepEqual([...(await sgd.state()).keys()], ['w']);
  assert.throws(() => sgd.step(params, new Map([['x', g]])), (e: unknown) => e instanceof SgdError && /unknown parameter "x"/.test(e.message));
  const wrong = tf.tensor1d([1, 2, 3]);
  assert.throws(() => sgd.step(params, new Map([['w', wrong]])), /gradient of "w" has shape \[3\], the parameter \[2\]/);
  assert.throws(() => new SGD({ lr: 0.1, nesterov: true }), /Nesterov momentum requires momentum > 0/);
  assert.throws(() => new SGD({ lr: -1 }), /lr must be a finite number ≥ 0/);
  sgd.dispose();
  tf.dispose([g, wrong, w, v]);
});
