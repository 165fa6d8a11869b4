/**
 * Gradients against PyTorch 1.13: d/dθ sum(embedding ⊙ r) in train mode for the fixture
 * weights (see reference-outputs.test.ts), on an input the generator picked so that no ReLU
 * input lies within 2e-5 of 0 (float32 rounding could otherwise flip a ReLU mask and move a
 * gradient by far more than any tolerance). Proves the BatchNorm custom gradient, the conv /
 * matMul / pooling gradients and the L2-normalise gradient compose correctly.
 * The ResNet runs on wasm — the training engine's real path, with the project's
 * Conv2DBackpropFilter kernel for wasm — because tfjs' cpu Conv2DBackpropFilter needs
 * minutes for it (~10 MFLOP/s); small-convnet runs on both backends.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, type ArchName } from '../../../../src-main/engine/models/model.ts';
import { exportStateDict, importStateDict } from '../../../../src-main/engine/models/state-dict.ts';
import { tfjsToTorch } from '../../../../src-main/engine/models/torch-layout.ts';
import { registerWasmConv2DBackpropFilter } from '../../../../src-main/engine/kernels/wasm-conv2d-backprop-filter.ts';
import { useBackend } from './backend.ts';
import { fixtureInputNHWC, fixtureStateDict, hashUniform, LOSS_STREAM } from './fixture-weights.ts';
import { loadLayoutFixture, loadReferenceFixture, type TensorSummary } from './fixtures.ts';

const layout = loadLayoutFixture();
const reference = loadReferenceFixture();

/** Relative to the gradient's own scale: entries span orders of magnitude across layers. */
function compare(label: string, actual: Float32Array, expected: TensorSummary, rtol: number): void {
  assert.equal(actual.length, expected.size, `${label}: size`);
  const scale = Math.sqrt(expected.sumSquares / expected.size) + 1e-12;
  const ref = expected.full ?? expected.head;
  let worst = 0;
  for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - ref[i]!) / scale);
  assert.ok(worst < rtol, `${label}: values differ by ${worst.toExponential(2)} × rms`);
  let sq = 0;
  let sum = 0;
  for (const v of actual) {
    sq += v * v;
    sum += v;
  }
  assert.ok(Math.abs(sq - expected.sumSquares) <= rtol * expected.sumSquares, `${label}: sum of squares ${sq} vs ${expected.sumSquares}`);
  assert.ok(Math.abs(sum - expected.sum) <= rtol * scale * Math.sqrt(expected.size) * 10, `${label}: sum ${sum} vs ${expected.sum}`);
}

async function checkArch(arch: ArchName): Promise<void> {
  const ref = reference.archs[arch];
  const { shape: [h, w, c], stream } = ref.gradInput!;
  const b = reference.batch;
  const model = createModel(arch, { inputShape: [h, w, c] });
  try {
    importStateDict(model, fixtureStateDict(layout[arch].entries.map(([name, shape, dtype]) => ({ name, shape, dtype }))));
    const x = tf.tensor4d(fixtureInputNHWC(b, h, w, c, stream), [b, h, w, c]);
    const r = tf.tensor2d(Float32Array.from(hashUniform(LOSS_STREAM, b * model.lowDim)), [b, model.lowDim]);
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(model.apply(x, true), r)), [...model.params.values()]);
    assert.ok(Math.abs(value.dataSync()[0]! - ref.loss!) < 1e-4, `loss ${value.dataSync()[0]} vs torch ${ref.loss}`);
    const slots = new Map(model.stateDict.map((s) => [s.name, s]));
    for (const [name, expected] of Object.entries(ref.grads!)) {
      const slot = slots.get(name)!;
      const g = grads[slot.variable.name]!;
      compare(name, tfjsToTorch(g.dataSync() as Float32Array, slot.torchShape, slot.layout), expected, 1e-3);
    }
    value.dispose();
    for (const g of Object.values(grads)) g.dispose();
    assert.equal(tf.memory().numTensors, before, 'tensors leaked by apply/variableGrads');
    // the train-mode forward inside variableGrads updated the running statistics once
    const nbt = (await exportStateDict(model)).get('bn1.num_batches_tracked');
    if (nbt) assert.equal(nbt.data[0], 4n);
    x.dispose();
    r.dispose();
  } finally {
    model.dispose();
  }
}

describe('gradients match PyTorch (cpu backend)', () => {
  before(async () => {
    await useBackend('cpu');
  });
  it('small-convnet: every parameter gradient', async () => checkArch('small-convnet'));
});

describe('gradients match PyTorch (wasm backend)', () => {
  before(async () => {
    await useBackend('wasm');
    registerWasmConv2DBackpropFilter();
  });
  it('small-convnet: every parameter gradient', async () => checkArch('small-convnet'));
  it('cifar-resnet18: every parameter gradient (train-mode BatchNorm)', async () => checkArch('cifar-resnet18'));
});
