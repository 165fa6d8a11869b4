/**
 * Exactness against PyTorch 1.13: the reference networks (re-stated in
 * test/fixtures/models/generate-fixtures.py) loaded with hash-generated weights give these
 * embeddings in eval and train mode, and these running statistics after one train-mode
 * forward. Forward only, so it runs on the wasm backend (the offline engine).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { ARCHS } from '../../../../shared/run-config.ts';
import { createModel, type ArchName } from '../../../../src-main/engine/models/model.ts';
import { importStateDict } from '../../../../src-main/engine/models/state-dict.ts';
import { useBackend } from './backend.ts';
import { fixtureInputNHWC, fixtureStateDict } from './fixture-weights.ts';
import { loadLayoutFixture, loadReferenceFixture, maxAbsDiff, type TensorSummary } from './fixtures.ts';

const layout = loadLayoutFixture();
const reference = loadReferenceFixture();
const TOL = 1e-4;

function checkSummary(label: string, actual: Float32Array, expected: TensorSummary, tol: number): void {
  assert.equal(actual.length, expected.size, `${label}: size`);
  const head = Array.from(actual.subarray(0, expected.head.length));
  assert.ok(maxAbsDiff(head, expected.head) < tol, `${label}: first values differ by ${maxAbsDiff(head, expected.head)}`);
  let sum = 0;
  let sq = 0;
  for (const v of actual) {
    sum += v;
    sq += v * v;
  }
  const scale = Math.max(1, Math.sqrt(expected.sumSquares));
  assert.ok(Math.abs(sum - expected.sum) < tol * scale * Math.sqrt(actual.length), `${label}: sum ${sum} vs ${expected.sum}`);
  assert.ok(Math.abs(sq - expected.sumSquares) < tol * Math.max(1, expected.sumSquares), `${label}: sum of squares ${sq} vs ${expected.sumSquares}`);
  if (expected.full) assert.ok(maxAbsDiff(actual, expected.full) < tol, `${label}: values differ by ${maxAbsDiff(actual, expected.full)}`);
}

function run(arch: ArchName, training: boolean): { out: Float32Array; model: ReturnType<typeof createModel> } {
  const ref = reference.archs[arch];
  const [h, w, c] = ref.inputShape;
  const model = createModel(arch, { inputShape: [h, w, c] });
  const entries = layout[arch].entries.map(([name, shape, dtype]) => ({ name, shape, dtype }));
  importStateDict(model, fixtureStateDict(entries));
  const x = tf.tensor4d(fixtureInputNHWC(reference.batch, h, w, c), [reference.batch, h, w, c]);
  const y = model.apply(x, training);
  const out = y.dataSync() as Float32Array;
  x.dispose();
  y.dispose();
  return { out, model };
}

describe('models match PyTorch (wasm backend)', () => {
  before(async () => {
    await useBackend('wasm');
  });

  for (const arch of ARCHS) {
    it(`${arch}: eval-mode embedding equals torch within ${TOL}`, () => {
      const { out, model } = run(arch, false);
      const d = maxAbsDiff(out, reference.archs[arch].evalOutput);
      model.dispose();
      assert.ok(d < TOL, `max |tfjs - torch| = ${d}`);
    });

    it(`${arch}: train-mode embedding and running statistics equal torch`, () => {
      const { out, model } = run(arch, true);
      try {
        const d = maxAbsDiff(out, reference.archs[arch].trainOutput);
        assert.ok(d < TOL, `max |tfjs - torch| = ${d}`);
        for (const [bn, stats] of Object.entries(reference.archs[arch].runningStats)) {
          checkSummary(`${bn}.running_mean`, model.buffers.get(`${bn}.running_mean`)!.dataSync() as Float32Array, stats.running_mean, TOL);
          checkSummary(`${bn}.running_var`, model.buffers.get(`${bn}.running_var`)!.dataSync() as Float32Array, stats.running_var, TOL);
          assert.equal(model.buffers.get(`${bn}.num_batches_tracked`)!.dataSync()[0], stats.num_batches_tracked);
        }
      } finally {
        model.dispose();
      }
    });
  }
});
