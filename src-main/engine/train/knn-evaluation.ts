/**
 * Weighted kNN of the val split against the memory bank (or freshly computed train
 * features), as the reference's `kNN()` in test.py does after every epoch. Recomputed
 * train features go through the val transform, as the reference's recompute_memory does.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BatchLoader, Dataset } from '../data/dataset.ts';
import { knnAccuracy, knnClassify } from '../eval/knn.ts';
import type { Model } from '../models/model.ts';
import type { MemoryBank } from '../nca/memory-bank.ts';

export interface KnnMetrics {
  top1: number;
  top5: number;
  nnTop1: number;
  seconds: number;
}

export interface KnnEvaluationInput {
  model: Model;
  bank: MemoryBank;
  dataset: Pick<Dataset, 'train' | 'val' | 'trainEval'>;
  k: number;
  sigma: number;
  recomputeMemory: boolean;
  batchSize: number;
  cancelRequested: () => boolean;
}

/** Embeddings of a whole split in eval mode, in split order, as one [N, D] tensor. */
export async function embedSplit(
  model: Model,
  loader: BatchLoader,
  batchSize: number,
  cancelRequested: () => boolean,
  /** Images embedded so far, after each batch. */
  progress?: (done: number) => void,
): Promise<tf.Tensor2D | 'cancelled'> {
  const parts: tf.Tensor2D[] = [];
  let done = 0;
  try {
    for await (const batch of loader.epoch({ epoch: 0, batchSize, shuffle: false, dropLast: false, seed: 0 })) {
      if (cancelRequested()) return 'cancelled';
      parts.push(tf.tidy(() => model.apply(tf.tensor4d(batch.images, [...batch.shape]), false)));
      done += batch.indexes.length;
      progress?.(done);
      await new Promise<void>((r) => setImmediate(r));
    }
    return tf.concat(parts, 0);
  } finally {
    for (const p of parts) p.dispose();
  }
}

/**
 * A freshly computed memory bank: every train image, in split order, through the val
 * transform (no augmentation) and the model in eval mode. The reference's test.py
 * (recompute_memory) sets the train set's transform to the test one for this pass.
 */
export function recomputeMemoryBank(
  model: Model,
  dataset: Pick<Dataset, 'trainEval'>,
  batchSize: number,
  cancelRequested: () => boolean,
  progress?: (done: number) => void,
): Promise<tf.Tensor2D | 'cancelled'> {
  return embedSplit(model, dataset.trainEval, batchSize, cancelRequested, progress);
}

export async function evaluateKnn(input: KnnEvaluationInput): Promise<KnnMetrics | 'cancelled'> {
  const start = performance.now();
  const queries = await embedSplit(input.model, input.dataset.val, input.batchSize, input.cancelRequested);
  if (queries === 'cancelled') return 'cancelled';
  let bank: tf.Tensor2D = input.bank.memory as tf.Tensor2D;
  let recomputed: tf.Tensor2D | undefined;
  try {
    if (input.recomputeMemory) {
      const r = await recomputeMemoryBank(input.model, input.dataset, input.batchSize, input.cancelRequested);
      if (r === 'cancelled') return 'cancelled';
      recomputed = r;
      bank = r;
    }
    const trainSplit = input.dataset.train.split;
    const result = await knnClassify(queries, bank, trainSplit.labels, {
      k: input.k,
      sigma: input.sigma,
      numClasses: trainSplit.numClasses,
    });
    const acc = knnAccuracy(result, input.dataset.val.split.labels);
    return { top1: acc.top1, top5: acc.top5, nnTop1: acc.nnTop1, seconds: (performance.now() - start) / 1000 };
  } finally {
    queries.dispose();
    recomputed?.dispose();
  }
}
