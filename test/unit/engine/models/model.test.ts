/**
 * The Model contract: construction and input errors, output shape and norm, BatchNorm
 * running statistics (formula, once per apply, also under tf.variableGrads), no tensor leaks,
 * and the PyTorch/reference initialisation statistics.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, type ArchName } from '../../../../src-main/engine/models/model.ts';
import { ModelConfigError, ModelInputError } from '../../../../src-main/engine/models/model-errors.ts';
import { BatchNorm2d } from '../../../../src-main/engine/models/layers/batch-norm.ts';
import { ParameterStore } from '../../../../src-main/engine/models/parameter-store.ts';
import { exportStateDict } from '../../../../src-main/engine/models/state-dict.ts';
import { registerWasmConv2DBackpropFilter } from '../../../../src-main/engine/kernels/wasm-conv2d-backprop-filter.ts';
import { useBackend } from './backend.ts';
import { distinctValues } from './gradient-check.ts';

function stats(a: ArrayLike<number>): { mean: number; std: number; min: number; max: number } {
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < a.length; i++) {
    s += a[i]!;
    min = Math.min(min, a[i]!);
    max = Math.max(max, a[i]!);
  }
  const mean = s / a.length;
  let v = 0;
  for (let i = 0; i < a.length; i++) v += (a[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(v / a.length), min, max };
}

describe('model construction and inputs', () => {
  before(async () => {
    await useBackend('cpu');
  });

  it('rejects unknown architectures, bad lowDim and too-small inputs with ModelConfigError', () => {
    assert.throws(() => createModel('resnet101' as ArchName, {}), (e) => e instanceof ModelConfigError && /resnet101.*cifar-resnet18/.test(e.message));
    assert.throws(() => createModel('small-convnet', { lowDim: 0 }), ModelConfigError);
    assert.throws(() => createModel('resnet18', { inputShape: [16, 16, 3] }), (e) => e instanceof ModelConfigError && /32×32/.test(e.message));
    assert.throws(() => createModel('cifar-resnet18', { inputShape: [32, 32, 0] }), ModelConfigError);
  });

  it('rejects NCHW batches, wrong sizes for small-convnet and one-value BatchNorm batches with ModelInputError', () => {
    const small = createModel('small-convnet', {});
    const cifar = createModel('cifar-resnet18', { inputShape: [8, 8, 3] });
    try {
      const nchw = tf.zeros([2, 1, 28, 28]) as tf.Tensor4D;
      assert.throws(() => small.apply(nchw, false), (e) => e instanceof ModelInputError && /NCHW/.test(e.message));
      const wrongSize = tf.zeros([2, 32, 32, 1]) as tf.Tensor4D;
      assert.throws(() => small.apply(wrongSize, false), (e) => e instanceof ModelInputError && /28×28/.test(e.message));
      const one = tf.zeros([1, 8, 8, 3]) as tf.Tensor4D;
      const before = tf.memory().numTensors;
      assert.throws(() => cifar.apply(one, true), (e) => e instanceof ModelInputError && /more than one value per channel/.test(e.message));
      assert.equal(tf.memory().numTensors, before, 'a failed apply leaked tensors');
      tf.dispose([nchw, wrongSize, one]);
    } finally {
      small.dispose();
      cifar.dispose();
    }
  });

  it('embeddings are [B, lowDim] with unit L2 norm; ResNets accept other input sizes', () => {
    const m = createModel('cifar-resnet18', { lowDim: 16, inputShape: [8, 8, 3], seed: 3 });
    try {
      for (const [h, w] of [[8, 8], [12, 10]] as const) {
        const x = tf.tensor4d(distinctValues(3 * h * w * 3, 1), [3, h, w, 3]);
        const y = m.apply(x, false);
        assert.deepEqual(y.shape, [3, 16]);
        const norms = tf.norm(y, 2, 1).dataSync();
        for (const n of norms) assert.ok(Math.abs(n - 1) < 1e-5, `norm ${n}`);
        tf.dispose([x, y]);
      }
    } finally {
      m.dispose();
    }
  });

  it('dispose releases every variable', () => {
    const before = tf.memory().numTensors;
    const m = createModel('cifar-resnet18', { inputShape: [8, 8, 3] });
    assert.ok(tf.memory().numTensors > before);
    m.dispose();
    assert.equal(tf.memory().numTensors, before);
  });
});

describe('BatchNorm running statistics', () => {
  before(async () => {
    await useBackend('cpu');
  });

  it('one train-mode call: running = 0.9·running + 0.1·batch, with the unbiased batch variance; eval leaves them alone', () => {
    const store = new ParameterStore('t');
    const bn = new BatchNorm2d(store, 'bn', 2);
    const rm0 = [0.3, -0.2];
    const rv0 = [1.5, 0.4];
    bn.runningMean.assign(tf.tensor1d(rm0));
    bn.runningVar.assign(tf.tensor1d(rv0));
    const [b, h, w, c] = [2, 3, 2, 2];
    const data = distinctValues(b * h * w * c, 5).map((v, i) => v * (1 + (i % 2)) + (i % 2) * 3);
    const x = tf.tensor4d(data, [b, h, w, c]);
    tf.dispose(bn.applyTrain(x, { relu: false }));
    const n = b * h * w;
    for (let ch = 0; ch < c; ch++) {
      const vals = Array.from({ length: n }, (_, k) => data[k * c + ch]!);
      const mean = vals.reduce((s, v) => s + v, 0) / n;
      const unbiased = vals.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
      assert.ok(Math.abs(bn.runningMean.dataSync()[ch]! - (0.9 * rm0[ch]! + 0.1 * mean)) < 1e-6, `running_mean[${ch}]`);
      assert.ok(Math.abs(bn.runningVar.dataSync()[ch]! - (0.9 * rv0[ch]! + 0.1 * unbiased)) < 1e-5, `running_var[${ch}]`);
    }
    assert.equal(bn.numBatchesTracked.dataSync()[0], 1);
    const rm1 = bn.runningMean.dataSync().slice();
    tf.dispose(bn.applyEval(x));
    assert.deepEqual(bn.runningMean.dataSync(), rm1);
    assert.equal(bn.numBatchesTracked.dataSync()[0], 1);
    x.dispose();
    store.dispose();
  });

  // On wasm (the training engine, with the project's Conv2DBackpropFilter kernel): tfjs' cpu
  // backprop-filter kernel would take ~40 s here.
  it('under tf.variableGrads the statistics update exactly once, equal to a plain train-mode apply, and nothing leaks (wasm)', async () => {
    await useBackend('wasm');
    registerWasmConv2DBackpropFilter();
    const a = createModel('cifar-resnet18', { inputShape: [8, 8, 3], seed: 2, lowDim: 8 });
    const b = createModel('cifar-resnet18', { inputShape: [8, 8, 3], seed: 2, lowDim: 8 });
    try {
      const x = tf.tensor4d(distinctValues(4 * 8 * 8 * 3, 9), [4, 8, 8, 3]);
      const r = tf.tensor2d(distinctValues(4 * 8, 10), [4, 8]);
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(a.apply(x, true), r)), [...a.params.values()]);
      assert.equal(Object.keys(grads).length, a.params.size);
      tf.dispose([value, ...Object.values(grads)]);
      assert.equal(tf.memory().numTensors, before, 'variableGrads through apply(training) leaked tensors');

      const y = b.apply(x, true);
      y.dispose();
      assert.equal(tf.memory().numTensors, before, 'apply(training) leaked tensors');
      const ye = b.apply(x, false);
      ye.dispose();
      assert.equal(tf.memory().numTensors, before, 'apply(eval) leaked tensors');

      const sa = (await exportStateDict(a));
      const sb = (await exportStateDict(b));
      for (const name of a.buffers.keys()) {
        const da = sa.get(name)!.data;
        const db = sb.get(name)!.data;
        if (name.endsWith('num_batches_tracked')) assert.equal(da[0], 1n, name);
        else assert.ok(da.every((v, i) => Math.abs(Number(v) - Number(db[i])) < 1e-6), name);
      }
      tf.dispose([x, r]);
    } finally {
      a.dispose();
      b.dispose();
      await useBackend('cpu');
    }
  });
});

describe('initialisation', () => {
  before(async () => {
    await useBackend('cpu');
  });

  const uniformCheck = (label: string, data: ArrayLike<number>, fanIn: number, tol: number): void => {
    const bound = 1 / Math.sqrt(fanIn);
    const s = stats(data);
    assert.ok(s.min >= -bound && s.max <= bound, `${label}: outside ±1/sqrt(${fanIn})`);
    assert.ok(s.max > 0.9 * bound && s.min < -0.9 * bound, `${label}: does not fill ±1/sqrt(${fanIn})`);
    assert.ok(Math.abs(s.std / (bound / Math.sqrt(3)) - 1) < tol, `${label}: std ${s.std} vs ${bound / Math.sqrt(3)}`);
    assert.ok(Math.abs(s.mean) < (4.5 * s.std) / Math.sqrt(data.length), `${label}: mean ${s.mean}`);
  };

  it('small-convnet: PyTorch default U(±1/sqrt(fan_in)) for every weight and bias', () => {
    const m = createModel('small-convnet', { seed: 1 });
    try {
      const p = (n: string): Float32Array => m.params.get(n)!.dataSync() as Float32Array;
      uniformCheck('conv1.weight', p('conv1.weight'), 9, 0.15);
      uniformCheck('conv1.bias', p('conv1.bias'), 9, 0.35);
      uniformCheck('conv2.weight', p('conv2.weight'), 32 * 9, 0.03);
      uniformCheck('conv2.bias', p('conv2.bias'), 32 * 9, 0.3);
      uniformCheck('fc.weight', p('fc.weight'), 3136, 0.01);
      uniformCheck('fc.bias', p('fc.bias'), 3136, 0.2);
    } finally {
      m.dispose();
    }
  });

  it('CIFAR ResNet: default conv/linear init, BatchNorm 1/0, running 0/1, counters 0', async () => {
    const m = createModel('cifar-resnet18', { seed: 1 });
    try {
      const sd = (await exportStateDict(m));
      uniformCheck('conv1.weight', sd.get('conv1.weight')!.data as Float32Array, 27, 0.1);
      uniformCheck('layer3.0.conv2.weight', sd.get('layer3.0.conv2.weight')!.data as Float32Array, 256 * 9, 0.01);
      uniformCheck('layer2.0.shortcut.0.weight', sd.get('layer2.0.shortcut.0.weight')!.data as Float32Array, 64, 0.02);
      uniformCheck('linear.weight', sd.get('linear.weight')!.data as Float32Array, 512, 0.02);
      for (const [name, e] of sd) {
        const expected = name.endsWith('bn1.weight') || /\.(bn\d|shortcut\.1)\.weight$|^bn1\.weight$/.test(name) || name.endsWith('running_var') ? 1
          : name.endsWith('running_mean') || /(bn\d|shortcut\.1)\.bias$/.test(name) ? 0 : null;
        if (name.endsWith('num_batches_tracked')) assert.equal(e.data[0], 0n, name);
        else if (expected !== null) assert.ok(e.data.every((v) => v === expected), `${name} should be all ${expected}`);
      }
    } finally {
      m.dispose();
    }
  });

  it('ImageNet ResNet: every conv N(0, 2/(k·k·out)) as the reference, fc default', async () => {
    const m = createModel('resnet50', { seed: 1, inputShape: [32, 32, 3] });
    try {
      const sd = (await exportStateDict(m));
      for (const [name, k, out] of [['conv1.weight', 7, 64], ['layer1.0.conv1.weight', 1, 64], ['layer3.2.conv2.weight', 3, 256], ['layer4.0.downsample.0.weight', 1, 2048]] as const) {
        const s = stats(sd.get(name)!.data as Float32Array);
        const std = Math.sqrt(2 / (k * k * out));
        assert.ok(Math.abs(s.std / std - 1) < 0.03, `${name}: std ${s.std} vs ${std}`);
        const n = sd.get(name)!.data.length;
        assert.ok(Math.abs(s.mean) < (4.5 * std) / Math.sqrt(n), `${name}: mean ${s.mean}`);
        assert.ok(s.max > 3 * std, `${name}: not normal-tailed (max ${s.max} vs std ${std})`);
      }
      uniformCheck('fc.weight', sd.get('fc.weight')!.data as Float32Array, 2048, 0.01);
      assert.ok(sd.get('layer2.0.bn3.weight')!.data.every((v) => v === 1));
    } finally {
      m.dispose();
    }
  });

  it('is deterministic in the seed', () => {
    const a = createModel('cifar-resnet18', { seed: 7, inputShape: [8, 8, 3] });
    const b = createModel('cifar-resnet18', { seed: 7, inputShape: [8, 8, 3] });
    const c = createModel('cifar-resnet18', { seed: 8, inputShape: [8, 8, 3] });
    try {
      for (const name of ['conv1.weight', 'layer4.1.conv2.weight', 'linear.bias']) {
        assert.deepEqual(a.params.get(name)!.dataSync(), b.params.get(name)!.dataSync(), name);
        assert.notDeepEqual(a.params.get(name)!.dataSync(), c.params.get(name)!.dataSync(), name);
      }
      // different tensors of one model get different streams
      assert.notDeepEqual(a.params.get('layer1.0.conv1.weight')!.dataSync(), a.params.get('layer1.0.conv2.weight')!.dataSync());
    } finally {
      a.dispose();
      b.dispose();
      c.dispose();
    }
  });
});
