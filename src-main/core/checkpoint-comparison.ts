/**
 * The comparison of checkpoints from their per-sample results (same val images in the
 * same order): McNemar's exact test per pair, per-class accuracy, the confusion cells that
 * changed most, the images they disagree on, and one image's neighbours per checkpoint.
 */
import { MAX_DISAGREEMENTS, type CheckpointComparison, type NeighbourPanel } from '../../shared/checkpoint-compare.ts';
import type { PerSampleResults } from '../engine/eval/per-sample-file.ts';
import { mcnemarExact } from './mcnemar.ts';

/** Confusion cells listed at most. */
const MAX_CONFUSION_CHANGES = 20;

export class SampleMismatchError extends Error {}

export function compareSamples(results: readonly PerSampleResults[], classNames: readonly string[]): CheckpointComparison {
  const first = results[0]!;
  const n = first.trueLabels.length;
  for (const [i, r] of results.entries()) {
    if (r.trueLabels.length !== n) throw new SampleMismatchError(`checkpoint ${i + 1} was evaluated on ${r.trueLabels.length} images, checkpoint 1 on ${n}`);
    for (let j = 0; j < n; j++) {
      if (r.trueLabels[j] !== first.trueLabels[j]) throw new SampleMismatchError(`checkpoint ${i + 1} saw a different val split (image ${j} has another label)`);
    }
  }
  const classes = first.classes;
  const names = Array.from({ length: classes }, (_, c) => classNames[c] ?? String(c));

  const pairs: CheckpointComparison['pairs'] = [];
  for (let a = 0; a < results.length; a++) {
    for (let b = a + 1; b < results.length; b++) {
      let onlyA = 0;
      let onlyB = 0;
      const pa = results[a]!.predicted;
      const pb = results[b]!.predicted;
      for (let j = 0; j < n; j++) {
        const t = first.trueLabels[j];
        const ra = pa[j] === t;
        const rb = pb[j] === t;
        if (ra && !rb) onlyA++;
        else if (rb && !ra) onlyB++;
      }
      pairs.push({ a, b, ...mcnemarExact(onlyA, onlyB) });
    }
  }

  const count = new Array<number>(classes).fill(0);
  const correct = results.map(() => new Array<number>(classes).fill(0));
  // Confusion counts per checkpoint, keyed true·classes + predicted.
  const confusion = results.map(() => new Map<number, number>());
  const disagreements: CheckpointComparison['disagreements'] = [];
  let disagreementTotal = 0;
  for (let j = 0; j < n; j++) {
    const t = first.trueLabels[j]!;
    count[t]!++;
    let same = true;
    for (const [i, r] of results.entries()) {
      const p = r.predicted[j]!;
      if (p === t) correct[i]![t]!++;
      else confusion[i]!.set(t * classes + p, (confusion[i]!.get(t * classes + p) ?? 0) + 1);
      if (p !== first.predicted[j]) same = false;
    }
    if (!same) {
      disagreementTotal++;
      if (disagreements.length < MAX_DISAGREEMENTS) disagreements.push({ index: j, trueLabel: t, predicted: results.map((r) => r.predicted[j]!) });
    }
  }

  const cells = new Set<number>();
  for (const m of confusion) for (const key of m.keys()) cells.add(key);
  const confusionChanges = [...cells]
    .map((key) => ({ key, counts: confusion.map((m) => m.get(key) ?? 0) }))
    .map((c) => ({ ...c, spread: Math.max(...c.counts) - Math.min(...c.counts) }))
    .filter((c) => c.spread > 0)
    .sort((x, y) => y.spread - x.spread || x.key - y.key)
    .slice(0, MAX_CONFUSION_CHANGES)
    .map((c) => ({ trueClass: Math.floor(c.key / classes), predicted: c.key % classes, counts: c.counts }));

  return {
    samples: n,
    classNames: names,
    pairs,
    perClass: names.map((name, c) => ({ class: c, name, count: count[c]!, accuracy: correct.map((cc) => (count[c]! > 0 ? cc[c]! / count[c]! : 0)) })),
    confusionChanges,
    disagreementTotal,
    disagreements,
  };
}

/** One val image's top-K neighbours in one checkpoint's results, voters for the winner marked. */
export function neighbourPanel(evaluationId: number, r: PerSampleResults, index: number): NeighbourPanel {
  const predicted = r.predicted[index]!;
  const neighbours = [];
  for (let j = 0; j < r.k; j++) {
    const at = index * r.k + j;
    const label = r.neighbourLabels[at]!;
    neighbours.push({ trainIndex: r.neighbourIndexes[at]!, label, similarity: r.neighbourSimilarities[at]!, votedForWinner: label === predicted });
  }
  return { evaluationId, trueLabel: r.trueLabels[index]!, predicted, neighbours };
}
