/**
 * Weighted kNN of the val split against the memory bank (or freshly computed train
 * features), as the reference's `kNN()` in test.py does after every epoch.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BatchLoader } from '../data/dataset.ts';
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
  trainLoader: BatchLoader;
  valLoader: BatchLoader;
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

export async function evaluateKnn(input: KnnEvaluationInput): Promise<KnnMetrics | 'cancelled'> {
  const start = performance.now();
  const queries = await embedSplit(input.model, input.valLoader, input.batchSize, input.cancelRequested);
  if (queries === 'cancelled') return 'cancelled';
  let bank: tf.Tensor2D = input.bank.memory as tf.Tensor2D;
  let recomputed: tf.Tensor2D | undefined;
  try {
    if (input.recomputeMemory) {
      const r = await embedSplit(input.model, input.trainLoader, input.batchSize, input.cancelRequested);
      if (r === 'cancelled') return 'cancelled';
      recomputed = r;
      bank = r;
    }
    const trainSplit = input.trainLoader.split;
    const result = await knnClassify(queries, bank, trainSplit.labels, {
      k: input.k,
      sigma: input.sigma,
      numClasses: trainSplit.numClasses,
    });
    const acc = knnAccuracy(result, input.valLoader.split.labels);
    return { top1: acc.top1, top5: acc.top5, nnTop1: acc.nnTop1, seconds: (performance.now() - start) / 1000 };
  } finally {
    queries.dispose();
    recomputed?.dispose();
  }
}
