/**
 * cpu and wasm compute the same embeddings (eval and train mode) and the same running
 * statistics for every ResNet: catches backend-specific kernel behaviour (explicit conv
 * padding, max-pool padding, fused BatchNorm broadcasting) that the torch fixtures, run on
 * wasm only, would not attribute. Small inputs keep tfjs' slow cpu kernels tolerable:
 * CIFAR nets at 16×16 (their 32×32 is covered against torch), ImageNet nets at 64×64.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, type ArchName } from '../../../../src-main/engine/models/model.ts';
import { exportStateDict, importStateDict, type StateDictEntry } from '../../../../src-main/engine/models/state-dict.ts';
import { useBackend, type TestBackend } from './backend.ts';
import { fixtureInputNHWC } from './fixture-weights.ts';
import { maxAbsDiff } from './fixtures.ts';

const CASES: Array<[ArchName, number]> = [
  ['cifar-resnet18', 16],
  ['cifar-resnet34', 16],
  ['cifar-resnet50', 16],
  ['resnet18', 64],
  ['resnet34', 64],
  ['resnet50', 64],
];

interface Run {
  evalOut: Float32Array;
  trainOut: Float32Array;
  buffersAfterTrain: Map<string, StateDictEntry>;
}

async function runOn(backend: TestBackend, arch: ArchName, size: number, weights: Map<string, StateDictEntry> | null): Promise<{ run: Run; weights: Map<string, StateDictEntry> }> {
  await useBackend(backend);
  const model = createModel(arch, { inputShape: [size, size, 3], seed: 21 });
  try {
    if (weights) importStateDict(model, weights);
    const sd = weights ?? (await exportStateDict(model));
    const x = tf.tensor4d(fixtureInputNHWC(2, size, size, 3, 123), [2, size, size, 3]);
    const e = model.apply(x, false);
    const t = model.apply(x, true);
    const run: Run = {
      evalOut: e.dataSync() as Float32Array,
      trainOut: t.dataSync() as Float32Array,
      buffersAfterTrain: new Map([...(await exportStateDict(model))].filter(([k]) => model.buffers.has(k))),
    };
    tf.dispose([x, e, t]);
    return { run, weights: sd };
  } finally {
    model.dispose();
  }
}

describe('cpu and wasm agree (forward, eval and train mode)', () => {
  for (const [arch, size] of CASES) {
    it(`${arch} at ${size}×${size}, batch 2`, async () => {
      const cpu = await runOn('cpu', arch, size, null);
      const wasm = await runOn('wasm', arch, size, cpu.weights);
      const de = maxAbsDiff(cpu.run.evalOut, wasm.run.evalOut);
      const dt = maxAbsDiff(cpu.run.trainOut, wasm.run.trainOut);
      assert.ok(de < 1e-4, `eval: max |cpu - wasm| = ${de}`);
      assert.ok(dt < 1e-4, `train: max |cpu - wasm| = ${dt}`);
      for (const [name, e] of cpu.run.buffersAfterTrain) {
        const w = wasm.run.buffersAfterTrain.get(name)!;
        if (e.dtype === 'int64') assert.deepEqual(w.data, e.data, name);
        else {
          // Relative 1e-3: deep in a 50-layer net, a variance over 8 values per channel
          // (layer4 at 64×64, batch 2) inherits the backends' ~1e-4 rounding differences.
          const a = e.data as Float32Array;
          const b = w.data as Float32Array;
          a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) <= 1e-3 * Math.max(1, Math.abs(v)), `${name}[${i}]: cpu ${v} vs wasm ${b[i]}`));
        }
      }
    });
  }
});
