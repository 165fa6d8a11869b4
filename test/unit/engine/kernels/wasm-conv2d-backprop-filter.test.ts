import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  backpropFilterInfo,
  registerWasmConv2DBackpropFilter,
  UnsupportedConvolutionError,
} from '../../../../src-main/engine/kernels/wasm-conv2d-backprop-filter.ts';
import { seededValues, useBackend } from '../use-backend.ts';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
type Shape4 = [number, number, number, number];

interface Case {
  x: Shape4;
  filter: Shape4;
  strides: number | [number, number];
  pad: Pad;
}

const CASES: Case[] = [
  { x: [2, 7, 9, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { x: [2, 7, 9, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'valid' },
  { x: [2, 7, 9, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'same' },
  { x: [2, 7, 9, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'valid' },
  { x: [3, 5, 5, 4], filter: [1, 1, 4, 6], strides: 1, pad: 'same' },
  { x: [3, 5, 5, 4], filter: [1, 1, 4, 6], strides: 2, pad: 'valid' },
  { x: [1, 8, 6, 2], filter: [2, 3, 2, 5], strides: [2, 1], pad: 'same' },
  { x: [2, 6, 7, 3], filter: [3, 3, 3, 2], strides: 1, pad: 1 },
  { x: [2, 6, 7, 3], filter: [3, 3, 3, 2], strides: 2, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  // ResNet stem: 7×7, stride 2, 'same', odd input size.
  { x: [2, 17, 15, 3], filter: [7, 7, 3, 8], strides: 2, pad: 'same' },
  // kh·kw·ci < out channels: the plain-im2col form (a network's first conv)
  { x: [3, 9, 8, 1], filter: [3, 3, 1, 16], strides: 1, pad: 'same' },
  { x: [2, 9, 9, 3], filter: [3, 3, 3, 32], strides: 2, pad: 1 },
  // Stride 1 with the output as wide as the input (contiguous row blocks): rows cut off at
  // the top and bottom ('valid' in height), wider padding, and a single image row.
  { x: [3, 6, 5, 4], filter: [3, 1, 4, 5], strides: 1, pad: 'valid' },
  { x: [2, 7, 6, 3], filter: [5, 5, 3, 4], strides: 1, pad: 2 },
  { x: [2, 1, 8, 3], filter: [3, 3, 3, 4], strides: 1, pad: 1 },
];

function describeCase(c: Case): string {
  return `x [${c.x}] filter [${c.filter}] strides ${JSON.stringify(c.strides)} pad ${JSON.stringify(c.pad)}`;
}

function dyShape(c: Case): Shape4 {
  const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad as 'same');
  return info.outShape;
}

function backpropFilter(c: Case, x: tf.Tensor4D, dy: tf.Tensor4D, columnsBudget?: number): Float32Array {
  const out = tf.engine().runKernel(
    'Conv2DBackpropFilter',
    { x, dy },
    { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter, columnsBudget } as unknown as tf.NamedAttrMap,
  ) as tf.Tensor;
  try {
    assert.deepEqual(out.shape, c.filter);
    return out.dataSync() as Float32Array;
  } finally {
    out.dispose();
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return Number.isNaN(m) ? Infinity : m;
}

test('wasm Conv2DBackpropFilter equals the cpu kernel (strides, paddings, 1×1 to 7×7)', async () => {
  for (const [i, c] of CASES.entries()) {
    const xv = seededValues(c.x.reduce((a, b) => a * b), 100 + i);
    const dyv = seededValues(dyShape(c).reduce((a, b) => a * b), 200 + i);
    await useBackend('cpu');
    const want = tf.tidy(() => backpropFilter(c, tf.tensor4d(xv, c.x), tf.tensor4d(dyv, dyShape(c))));
    await useBackend('wasm');
    const before = tf.memory().numTensors;
    const got = tf.tidy(() => backpropFilter(c, tf.tensor4d(xv, c.x), tf.tensor4d(dyv, dyShape(c))));
    assert.equal(tf.memory().numTensors, before, `tensors leaked for ${describeCase(c)}`);
    const err = maxAbsDiff(got, want);
    assert.ok(err <= 1e-4, `${describeCase(c)}: max |wasm − cpu| = ${err}`);
    // Column matrix built one image at a time: the batch-chunk accumulation gives the same.
    const chunked = tf.tidy(() => backpropFilter(c, tf.tensor4d(xv, c.x), tf.tensor4d(dyv, dyShape(c)), 1));
    assert.ok(maxAbsDiff(chunked, want) <= 1e-4, `${describeCase(c)} in batch chunks`);
    // The values are not trivially zero (a kernel returning zeros must not pass).
    assert.ok(want.some((v) => Math.abs(v) > 0.1), describeCase(c));
  }
});

test('unsupported data format and dilations are refused with a clear error', async () => {
  await useBackend('wasm');
  const x = tf.zeros([1, 4, 4, 2]) as tf.Tensor4D;
  const dy = tf.zeros([1, 4, 4, 3]) as tf.Tensor4D;
  try {
    assert.throws(
      () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 2, 3] } as unknown as tf.NamedAttrMap),
      (e: unknown) => e instanceof UnsupportedConvolutionError && /dataFormat NHWC only, got NCHW/.test(e.message),
    );
    assert.throws(
      () => backpropFilterInfo(x.shape, [3, 3, 2, 3], { strides: 1, pad: 'same', dilations: 2 }),
      /dilations 1 only, got \[2, 2\]/,
    );
  } finally {
    tf.dispose([x, dy]);
  }
});

/** Conv2D's gradient as tfjs-core defines it (the Node entry of tfjs-core registers none). */
function ensureConv2DGradient(): void {
  if (tf.getGradient(tf.Conv2D)) return;
  tf.registerGradient({
    kernelName: tf.Conv2D,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const { strides, pad } = attrs as unknown as { strides: [number, number]; pad: 'same' | 'valid' };
      return {
        x: () => tf.conv2dTranspose(dy as tf.Tensor4D, filter, x.shape, strides, pad),
        filter: () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy: dy as tf.Tensor }, { strides, pad, dataFormat: 'NHWC', filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
      };
    },
  });
}

test('tf.grad of a conv2d runs on wasm and matches cpu', async () => {
  ensureConv2DGradient();
  const xs: Shape4 = [2, 9, 9, 3];
  const fs: Shape4 = [3, 3, 3, 5];
  const xv = seededValues(xs.reduce((a, b) => a * b), 7);
  const wv = seededValues(fs.reduce((a, b) => a * b), 8);
  const outShape = tf.backend_util.computeConv2DInfo(xs, fs, 2, 1, 'same').outShape;
  const dyv = seededValues(outShape.reduce((a, b) => a * b), 9);
  // An explicit dy keeps Conv2D the only kernel whose gradient is needed.
  const run = () =>
    tf.tidy(() => {
      const g = tf.grads((xi: tf.Tensor, wi: tf.Tensor) => tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, 2, 'same'));
      const [gx, gw] = g([tf.tensor4d(xv, xs), tf.tensor4d(wv, fs)], tf.tensor4d(dyv, outShape));
      return [gx!.dataSync() as Float32Array, gw!.dataSync() as Float32Array];
    });
  await useBackend('cpu');
  const [gxCpu, gwCpu] = run();
  await useBackend('wasm');
  const [gxWasm, gwWasm] = run();
  assert.ok(gwCpu!.some((v) => Math.abs(v) > 0.1));
  assert.ok(maxAbsDiff(gwWasm!, gwCpu!) <= 1e-4, `filter gradient differs by ${maxAbsDiff(gwWasm!, gwCpu!)}`);
  assert.ok(maxAbsDiff(gxWasm!, gxCpu!) <= 1e-4, `input gradient differs by ${maxAbsDiff(gxWasm!, gxCpu!)}`);
});

test('registration is idempotent', async () => {
  await useBackend('wasm');
  const before = tf.getKernel('Conv2DBackpropFilter', 'wasm');
  registerWasmConv2DBackpropFilter();
  registerWasmConv2DBackpropFilter();
  assert.equal(tf.getKernel('Conv2DBackpropFilter', 'wasm'), before);
});

test('speed of the wasm kernel (diagnostic)', async (t) => {
  await useBackend('wasm');
  const shapes: { x: Shape4; filter: Shape4; strides: number }[] = [
    { x: [8, 32, 32, 32], filter: [3, 3, 32, 32], strides: 1 },
    { x: [4, 64, 64, 3], filter: [7, 7, 3, 16], strides: 2 },
  ];
  for (const s of shapes) {
    const x = tf.tensor4d(seededValues(s.x.reduce((a, b) => a * b), 1), s.x);
    const info = tf.backend_util.computeConv2DInfo(s.x, s.filter, s.strides, 1, 'same');
    const dy = tf.tensor4d(seededValues(info.outShape.reduce((a, b) => a * b), 2), info.outShape);
    const flops = 2 * info.outShape.slice(0, 3).reduce((a, b) => a * b) * s.filter.reduce((a, b) => a * b);
    const c: Case = { x: s.x, filter: s.filter, strides: s.strides, pad: 'same' };
    backpropFilter(c, x, dy);
    const t0 = performance.now();
    const reps = 3;
    for (let i = 0; i < reps; i++) backpropFilter(c, x, dy);
    const ms = (performance.now() - t0) / reps;
    t.diagnostic(`Conv2DBackpropFilter wasm x [${s.x}] filter [${s.filter}] stride ${s.strides}: ${ms.toFixed(1)} ms, ${(flops / ms / 1e6).toFixed(2)} GFLOP/s`);
    tf.dispose([x, dy]);
  }
  assert.ok(true);
});
