/**
 * One train-mode forward and backward of every architecture on webgpu equals the wasm
 * backend (the engine's CPU path, checked against cpu in backend-parity.test.ts and against
 * torch in reference-*.test.ts; tfjs' cpu backend here would double the test's time): same
 * weights, same input, the embedding and every parameter gradient (the trainer's
 * leanVariableGrads path), at batch 2. Tolerances are those two correct CPU backends meet at
 * these sizes (backend-parity.test.ts); the mismatch they catch was 1e-2 to 3.8.
 *
 * Input sizes: the smallest at which every train-mode BatchNorm normalises at least 8 values
 * per channel (layer4's map is 2×2): CIFAR nets at 16×16, ImageNet nets at 64×64. At the
 * smallest sizes the nets take (8×8, 32×32) layer4's BatchNorms see 2 values per channel,
 * where float32 rounding is amplified hundreds of times (batch-norm-conditioning.test.ts):
 * there even cpu and wasm disagree (cifar-resnet18: a conv gradient by 2.0), and webgpu
 * against cpu looked like a kernel bug that is not there (webgpu-layer-ops.test.ts).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { leanVariableGrads } from '../../../../src-main/engine/autodiff/lean-variable-grads.ts';
import { ARCHS } from '../../../../shared/run-config.ts';
import { BatchNorm2d } from '../../../../src-main/engine/models/layers/batch-norm.ts';
import { createModel, defaultInputShape, type ArchName } from '../../../../src-main/engine/models/model.ts';
import { exportStateDict, importStateDict, type StateDictEntry } from '../../../../src-main/engine/models/state-dict.ts';
import { seededValues, useBackend } from '../use-backend.ts';
import { maxScaledDiff, useWebGpu } from './software-webgpu.ts';

const BATCH = 2;
/** Fewest values per channel any train-mode BatchNorm may normalise for the comparison to mean anything. */
const MIN_BATCH_NORM_VALUES = 8;
/** Embedding rows are unit length: absolute. Gradients: of max(1, |g|). Measured: see README, GPU. */
const EMBEDDING_TOLERANCE = 1e-4;
const GRADIENT_TOLERANCE = 1e-3;

/** CIFAR nets downsample 8×, ImageNet nets 32×: a 2×2 map in layer4 at batch 2 is 8 values per channel. */
function inputShapeOf(arch: ArchName): [number, number, number] {
  if (arch === 'small-convnet') return defaultInputShape(arch);
  return arch.startsWith('cifar-') ? [16, 16, 3] : [64, 64, 3];
}

/** Runs `f` while recording the fewest values per channel that a train-mode BatchNorm normalised. */
async function withBatchNormCount<T>(f: () => Promise<T>): Promise<{ result: T; fewest: number }> {
  const original = BatchNorm2d.prototype.applyTrain;
  let fewest = Infinity;
  BatchNorm2d.prototype.applyTrain = function (this: BatchNorm2d, x, opts) {
    const [b, h, w] = x.shape;
    fewest = Math.min(fewest, b * h * w);
    return original.call(this, x, opts);
  };
  try {
    return { result: await f(), fewest };
  } finally {
    BatchNorm2d.prototype.applyTrain = original;
  }
}

interface Pass {
  out: Float32Array;
  grads: Map<string, Float32Array>;
  weights: Map<string, StateDictEntry>;
}

async function forwardBackward(arch: ArchName, weights: Map<string, StateDictEntry> | null): Promise<Pass> {
  const shape = inputShapeOf(arch);
  const model = createModel(arch, { inputShape: shape, lowDim: 16, seed: 5 });
  try {
    if (weights) importStateDict(model, weights);
    const exported = weights ?? (await exportStateDict(model));
    const x = tf.tensor4d(seededValues(BATCH * shape[0] * shape[1] * shape[2], 7), [BATCH, ...shape]);
    const r = tf.tensor2d(seededValues(BATCH * 16, 8), [BATCH, 16]);
    let out: tf.Tensor | null = null;
    const params = [...model.params.values()];
    const { value, grads } = leanVariableGrads(() => {
      const f = model.apply(x, true);
      out = tf.keep(f);
      return tf.sum(tf.mul(f, r));
    }, params);
    const byName = new Map<string, Float32Array>();
    for (const [name, v] of model.params) byName.set(name, (await grads[v.name]!.data()) as Float32Array);
    const outValues = (await out!.data()) as Float32Array;
    tf.dispose([x, r, value, out!, ...Object.values(grads)]);
    return { out: outValues, grads: byName, weights: exported };
  } finally {
    model.dispose();
  }
}

/**
 * Not yet matching: the Bottleneck nets (measured on SwiftShader). Their embeddings agree
 * (cifar-resnet50 3.9e-5, resnet50 4.3e-5) but the gradient of conv1.weight differs by 3.6 and
 * 3.9, while the BasicBlock nets agree (worst gradient 1.8e-5 cifar-resnet18, 1.7e-4
 * cifar-resnet34, 6.2e-5 resnet18, 3.1e-4 resnet34). Whether that is a kernel (1×1 convs with up
 * to 2048 channels run as matMuls on webgpu) or rounding amplified through 50 layers is not
 * found yet; cpu against wasm differs as much there (cifar-resnet50 at 16×16: embedding 4.5e-5,
 * a conv gradient 2.2), which points at conditioning. They run and report as TODO, not passing.
 */
const NOT_YET = new Set<ArchName>(['cifar-resnet50', 'resnet50']);

describe('webgpu: forward and backward of every architecture match wasm', () => {
  for (const arch of ARCHS) {
    const todo = NOT_YET.has(arch) ? { todo: 'Bottleneck nets: gradients differ on webgpu (see NOT_YET)' } : {};
    it(arch, { timeout: 900_000, ...todo }, async (t) => {
      await useBackend('wasm');
      const { result: onWasm, fewest } = await withBatchNormCount(() => forwardBackward(arch, null));
      assert.ok(fewest >= MIN_BATCH_NORM_VALUES, `${arch}: a BatchNorm normalises only ${fewest} values per channel`);
      await useWebGpu();
      const onGpu = await forwardBackward(arch, onWasm.weights);
      const outDiff = maxScaledDiff(onGpu.out, onWasm.out);
      let worst = { name: '', diff: 0 };
      for (const [name, g] of onWasm.grads) {
        const d = maxScaledDiff(onGpu.grads.get(name)!, g);
        if (!(d <= worst.diff)) worst = { name, diff: d };
      }
      t.diagnostic(`${arch} ${inputShapeOf(arch).join('×')} batch ${BATCH}: embedding ${outDiff.toExponential(2)}, worst gradient ${worst.diff.toExponential(2)} (${worst.name})`);
      assert.ok(outDiff <= EMBEDDING_TOLERANCE, `${arch}: embedding differs by ${outDiff.toExponential(2)}`);
      assert.ok(worst.diff <= GRADIENT_TOLERANCE, `${arch}: gradient of ${worst.name} differs by ${worst.diff.toExponential(2)}`);
    });
  }
});
