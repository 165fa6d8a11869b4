/**
 * state_dict names, torch shapes, dtypes and order against PyTorch's own listing
 * (test/fixtures/models/state-dict-layout.json, generated with torch 1.13), and the
 * import/export round trip and its validation.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { ARCHS } from '../../../../shared/run-config.ts';
import { createModel, defaultInputShape } from '../../../../src-main/engine/models/model.ts';
import { StateDictError } from '../../../../src-main/engine/models/model-errors.ts';
import { exportStateDict, importStateDict, type StateDictEntry } from '../../../../src-main/engine/models/state-dict.ts';
import { tfjsShapeOf, tfjsToTorch, torchToTfjs, type TorchLayout } from '../../../../src-main/engine/models/torch-layout.ts';
import { useBackend } from './backend.ts';
import { loadLayoutFixture } from './fixtures.ts';

const layout = loadLayoutFixture();

describe('state_dict layout equals PyTorch', () => {
  before(async () => {
    await useBackend('cpu');
  });

  for (const arch of ARCHS) {
    it(`${arch}: exported names, shapes, dtypes and order`, async () => {
      assert.deepEqual(defaultInputShape(arch), layout[arch].inputShape);
      const model = createModel(arch, {});
      try {
        const exported = [...(await exportStateDict(model))].map(([name, e]) => [name, e.shape, e.dtype]);
        assert.deepEqual(exported, layout[arch].entries);
        // params and buffers are the same entries, split, each in state_dict order
        const params = layout[arch].entries.filter(([n]) => !/running_(mean|var)$|num_batches_tracked$/.test(n)).map(([n]) => n);
        assert.deepEqual([...model.params.keys()], params);
        assert.equal(model.params.size + model.buffers.size, layout[arch].entries.length);
        for (const v of model.params.values()) assert.equal(v.trainable, true);
        for (const v of model.buffers.values()) assert.equal(v.trainable, false);
      } finally {
        model.dispose();
      }
    });
  }
});

describe('layout conversions', () => {
  it('conv2d: torch [out,in,kh,kw] element (o,i,y,x) lands at tfjs [y,x,i,o] and back', async () => {
    const shape = [4, 3, 2, 5];
    const src = Float32Array.from({ length: 120 }, (_, k) => k);
    const t = torchToTfjs(src, shape, { kind: 'conv2d' });
    assert.deepEqual(tfjsShapeOf(shape, { kind: 'conv2d' }), [2, 5, 3, 4]);
    const at = (o: number, i: number, y: number, x: number): number => ((o * 3 + i) * 2 + y) * 5 + x;
    for (const [o, i, y, x] of [[0, 0, 0, 0], [3, 2, 1, 4], [1, 2, 0, 3], [2, 0, 1, 1]] as const) {
      assert.equal(t[((y * 5 + x) * 3 + i) * 4 + o], at(o, i, y, x));
    }
    assert.deepEqual(tfjsToTorch(t, shape, { kind: 'conv2d' }), src);
  });

  it('linear: transpose and back', async () => {
    const src = Float32Array.from({ length: 6 }, (_, k) => k); // torch [2 out, 3 in]
    assert.deepEqual(Array.from(torchToTfjs(src, [2, 3], { kind: 'linear' })), [0, 3, 1, 4, 2, 5]);
    assert.deepEqual(tfjsToTorch(torchToTfjs(src, [2, 3], { kind: 'linear' }), [2, 3], { kind: 'linear' }), src);
  });

  it('linear-nchw-flatten: NHWC-flatten @ converted weight equals NCHW-flatten @ torch weight', async () => {
    await useBackend('cpu');
    const [h, w, c, out] = [3, 2, 4, 5];
    const l: TorchLayout = { kind: 'linear-nchw-flatten', height: h, width: w, channels: c };
    const torchW = Float32Array.from({ length: out * c * h * w }, (_, k) => Math.sin(k * 1.7));
    const nhwc = Float32Array.from({ length: h * w * c }, (_, k) => Math.cos(k * 0.3));
    const nchw = new Float32Array(nhwc.length);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let cc = 0; cc < c; cc++) nchw[(cc * h + y) * w + x] = nhwc[(y * w + x) * c + cc]!;
    const expected = Array.from({ length: out }, (_, o) => nchw.reduce((s, v, k) => s + v * torchW[o * nchw.length + k]!, 0));
    const tfW = torchToTfjs(torchW, [out, c * h * w], l);
    const got = tf.matMul(tf.tensor2d(nhwc, [1, h * w * c]), tf.tensor2d(tfW, [h * w * c, out])).dataSync();
    for (let o = 0; o < out; o++) assert.ok(Math.abs(got[o]! - expected[o]!) < 1e-5, `output ${o}: ${got[o]} vs ${expected[o]}`);
    assert.deepEqual(tfjsToTorch(tfW, [out, c * h * w], l), torchW);
  });
});

describe('import/export', () => {
  before(async () => {
    await useBackend('cpu');
  });

  function clone(sd: Map<string, StateDictEntry>): Map<string, StateDictEntry> {
    return new Map([...sd].map(([k, e]) => [k, { ...e, shape: [...e.shape], data: e.data.slice() } as StateDictEntry]));
  }

  it('round trip: export of model A imported into model B exports identically, and B computes what A does', async () => {
    const a = createModel('cifar-resnet18', { seed: 1, inputShape: [16, 16, 3] });
    const b = createModel('cifar-resnet18', { seed: 2, inputShape: [16, 16, 3] });
    try {
      // make the buffers non-trivial too
      const x = tf.randomNormal([2, 16, 16, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
      tf.dispose(a.apply(x, true));
      const sdA = (await exportStateDict(a));
      assert.notDeepEqual((await exportStateDict(b)).get('conv1.weight')!.data, sdA.get('conv1.weight')!.data);
      importStateDict(b, sdA);
      const sdB = (await exportStateDict(b));
      assert.deepEqual([...sdB.keys()], [...sdA.keys()]);
      for (const [k, e] of sdA) assert.deepEqual(sdB.get(k), e, k);
      assert.equal(sdB.get('bn1.num_batches_tracked')!.data[0], 1n);
      const ya = a.apply(x, false);
      const yb = b.apply(x, false);
      assert.deepEqual(yb.dataSync(), ya.dataSync());
      tf.dispose([x, ya, yb]);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('small-convnet round trip keeps the fc weight in torch (NCHW-flatten) order', async () => {
    const a = createModel('small-convnet', { seed: 4 });
    try {
      const sd = (await exportStateDict(a));
      const fc = sd.get('fc.weight')!;
      assert.deepEqual(fc.shape, [128, 3136]);
      const internal = a.params.get('fc.weight')!.dataSync();
      // torch column (c=1, h=0, w=0) = index 49 holds internal row (h=0, w=0, c=1) = row 1
      assert.equal(fc.data[49], internal[1 * 128 + 0]);
      importStateDict(a, clone(sd));
      assert.deepEqual((await exportStateDict(a)).get('fc.weight')!.data, fc.data);
    } finally {
      a.dispose();
    }
  });

  it('rejects missing, unexpected, mis-shaped and wrongly typed keys, naming them, and leaves the model unchanged', async () => {
    const m = createModel('cifar-resnet18', { seed: 1, inputShape: [16, 16, 3] });
    try {
      const good = (await exportStateDict(m));
      const before = m.params.get('layer1.0.conv1.weight')!.dataSync().slice();
      const expectError = (sd: Map<string, StateDictEntry>, problem: string, key: string): void => {
        assert.throws(() => importStateDict(m, sd), (e: unknown) => {
          assert.ok(e instanceof StateDictError, String(e));
          assert.equal(e.problem, problem);
          assert.equal(e.key, key);
          assert.ok(e.message.includes(key), e.message);
          return true;
        });
      };
      // a change early in the dict, an error late: nothing may have been written
      const missing = clone(good);
      for (const e of missing.values()) if (e.dtype === 'float32') e.data.fill(7);
      missing.delete('linear.bias');
      expectError(missing, 'missing-key', 'linear.bias');

      const unexpected = clone(good);
      unexpected.set('module.conv1.weight', good.get('conv1.weight')!);
      expectError(unexpected, 'unexpected-key', 'module.conv1.weight');

      const misShaped = clone(good);
      misShaped.set('linear.weight', { shape: [64, 512], dtype: 'float32', data: new Float32Array(64 * 512) });
      expectError(misShaped, 'shape-mismatch', 'linear.weight');

      const shortData = clone(good);
      shortData.set('bn1.bias', { shape: [64], dtype: 'float32', data: new Float32Array(10) });
      expectError(shortData, 'data-length', 'bn1.bias');

      const wrongType = clone(good);
      wrongType.set('bn1.weight', { shape: [64], dtype: 'int64', data: new BigInt64Array(64) });
      expectError(wrongType, 'dtype-mismatch', 'bn1.weight');

      assert.deepEqual(m.params.get('layer1.0.conv1.weight')!.dataSync(), before);
    } finally {
      m.dispose();
    }
  });

  it('a checkpoint without num_batches_tracked (PyTorch < 0.4.1) imports only when allowed', async () => {
    const m = createModel('cifar-resnet18', { seed: 1, inputShape: [16, 16, 3] });
    try {
      const old = new Map([...(await exportStateDict(m))].filter(([k]) => !k.endsWith('num_batches_tracked')));
      assert.throws(() => importStateDict(m, old), /num_batches_tracked.*allowMissingBatchCounters/);
      importStateDict(m, old, { allowMissingBatchCounters: true });
      assert.equal(m.buffers.get('bn1.num_batches_tracked')!.dataSync()[0], 0);
    } finally {
      m.dispose();
    }
  });
});
