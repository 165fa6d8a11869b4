import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareSamples, neighbourPanel } from '../../../src-main/core/checkpoint-comparison.ts';
import { mcnemarExact } from '../../../src-main/core/mcnemar.ts';
import type { PerSampleResults } from '../../../src-main/engine/eval/per-sample-file.ts';

function results(trueLabels: number[], predicted: number[], k = 2): PerSampleResults {
  const n = trueLabels.length;
  return {
    classes: 3,
    trainCount: 100,
    k,
    trueLabels: Int32Array.from(trueLabels),
    predicted: Int32Array.from(predicted),
    neighbourIndexes: Uint32Array.from({ length: n * k }, (_, i) => i),
    neighbourSimilarities: Float32Array.from({ length: n * k }, (_, i) => 1 - (i % k) / 10),
    neighbourLabels: Int32Array.from({ length: n * k }, (_, i) => (i % k === 0 ? predicted[Math.floor(i / k)]! : 2)),
  };
}

const truth = [0, 0, 1, 1, 2, 2, 0, 1];
const a = results(truth, [0, 0, 1, 2, 2, 2, 1, 1]); // wrong on 3, 6
const b = results(truth, [0, 1, 1, 1, 2, 0, 0, 1]); // wrong on 1, 5
const c = results(truth, [0, 0, 1, 1, 2, 2, 0, 1]); // all right

test('pairs: McNemar on the images one gets right and the other wrong', () => {
  const cmp = compareSamples([a, b, c], ['zero', 'one', 'two']);
  assert.equal(cmp.samples, 8);
  assert.deepEqual(cmp.pairs.map((p) => [p.a, p.b, p.onlyA, p.onlyB]), [[0, 1, 2, 2], [0, 2, 0, 2], [1, 2, 0, 2]]);
  assert.equal(cmp.pairs[0]!.pValue, 1);
  assert.equal(cmp.pairs[1]!.pValue, mcnemarExact(0, 2).pValue);
});

test('per-class accuracy, changed confusion cells and disagreements', () => {
  const cmp = compareSamples([a, b], ['zero', 'one', 'two']);
  assert.deepEqual(cmp.perClass, [
    { class: 0, name: 'zero', count: 3, accuracy: [2 / 3, 2 / 3] },
    { class: 1, name: 'one', count: 3, accuracy: [2 / 3, 1] },
    { class: 2, name: 'two', count: 2, accuracy: [1, 0.5] },
  ]);
  // 0 → 1 happens once in each (different images): no change, so not listed.
  assert.deepEqual(cmp.confusionChanges, [
    { trueClass: 1, predicted: 2, counts: [1, 0] },
    { trueClass: 2, predicted: 0, counts: [0, 1] },
  ]);
  assert.equal(cmp.disagreementTotal, 4);
  assert.deepEqual(cmp.disagreements.map((d) => d.index), [1, 3, 5, 6]);
  assert.deepEqual(cmp.disagreements[0], { index: 1, trueLabel: 0, predicted: [0, 1] });
});

test('a different val split is refused', () => {
  assert.throws(() => compareSamples([a, results([0, 1], [0, 1])], []), /evaluated on 2 images, checkpoint 1 on 8/);
  assert.throws(() => compareSamples([a, results([1, 0, 1, 1, 2, 2, 0, 1], truth)], []), /different val split \(image 0/);
});

test('neighbour panel marks the voters for the winning class', () => {
  const p = neighbourPanel(7, b, 1);
  assert.equal(p.evaluationId, 7);
  assert.equal(p.trueLabel, 0);
  assert.equal(p.predicted, 1);
  assert.deepEqual(p.neighbours.map((n) => [n.trainIndex, n.label, n.votedForWinner]), [[2, 1, true], [3, 2, false]]);
  assert.ok(Math.abs(p.neighbours[1]!.similarity - 0.9) < 1e-6);
});
