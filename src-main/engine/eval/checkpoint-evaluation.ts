/**
 * Evaluating a saved checkpoint, as the reference's `main.py -e`: load the checkpoint
 * (its sha256 checked against the recorded one), rebuild the model from the header's
 * config, import the weights, embed the val split, and run weighted kNN against the
 * checkpoint's memory bank or freshly computed train features. Returns accuracies,
 * per-class accuracy and sparse confusion counts. Knows nothing of SQLite or threads.
 *
 * An imported model is evaluated the same way: its weights (reference names) in place of
 * the checkpoint's, its feature bank file in place of the memory bank. Bank row i is train
 * image i of the dataset (ImageFolder order), so the bank must have one row per train image.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Arch, DatasetSpecInput } from '../../../shared/run-config.ts';
import { MEMORY_TENSOR } from '../checkpoint/checkpoint-format.ts';
import { CheckpointError, readCheckpoint, type LoadedCheckpoint } from '../checkpoint/checkpoint-reader.ts';
import { openDataset } from '../data/open-dataset.ts';
import type { DatasetReaders } from '../data/dataset-readers.ts';
import type { ImageShape } from '../data/dataset.ts';
import { createModel, type Model } from '../models/model.ts';
import { importStateDict, type StateDictInput } from '../models/state-dict.ts';
import { embedSplit, recomputeMemoryBank } from '../train/knn-evaluation.ts';
import { knnAccuracy, knnClassify } from './knn.ts';
import { writePerSampleFile } from './per-sample-file.ts';
import { loadImportedNetwork, modelOfNetwork } from './image-embedding.ts';

/** An imported model evaluated instead of a checkpoint of ours. */
export interface ImportedModelSpec {
  /** Its name, for messages. */
  name: string;
  weightsPath: string;
  arch: Arch;
  config: { lowDim: number; width: number };
  /** rows × dim float32 LE, row i = train image i. */
  bankPath: string;
  bankRows: number;
  bankDim: number;
}

export interface CheckpointEvaluationSpec {
  /** The checkpoint file; an imported model's weights file when `model` is given. */
  checkpointPath: string;
  /** The sha256 recorded in the database; null for a file outside any run. */
  expectedSha256: string | null;
  dataset: DatasetSpecInput;
  k: number;
  sigma: number;
  recomputeMemory: boolean;
  batchSize?: number;
  /** Readers of dataset formats the engine does not own (see dataset-readers.ts). */
  readers?: DatasetReaders;
  /** Where to write the per-sample results (labels and top-K neighbours of every val image); none when absent. */
  samplesPath?: string;
  /** Evaluate this imported model (its weights and bank) rather than the checkpoint. */
  model?: ImportedModelSpec;
}

export interface CheckpointEvaluationResult {
  top1: number;
  top5: number;
  nnTop1: number;
  samples: number;
  perClass: { class: number; name: string; correct: number; count: number }[];
  confusion: [number, number, number][];
  wallSeconds: number;
}

/** The checkpoint's model (architecture and width from its header config) with its weights, for images of `inputShape`. */
export function modelFromCheckpoint(ckpt: LoadedCheckpoint, checkpointPath: string, inputShape: ImageShape): Model {
  const config = ckpt.header.config;
  const model = createModel(config.arch, { lowDim: config.lowDim, inputShape: [...inputShape], seed: config.seed });
  try {
    const wanted = new Set(model.stateDict.map((s) => s.name));
    const entries = new Map<string, StateDictInput>();
    for (const [name, t] of ckpt.tensors) {
      if (!wanted.has(name)) continue;
      if (t.dtype !== 'F32' && t.dtype !== 'I64') throw new CheckpointError(checkpointPath, `tensor ${name} has dtype ${t.dtype}`);
      entries.set(name, { shape: t.shape, dtype: t.dtype === 'I64' ? 'int64' : 'float32', data: t.data as Float32Array | BigInt64Array });
    }
    importStateDict(model, entries);
    return model;
  } catch (err) {
    model.dispose();
    throw err;
  }
}

export interface EvaluationHooks {
  log(message: string): void;
  cancelRequested(): boolean;
  /** Images of `phase` embedded so far, of `total`. */
  progress?(p: { phase: 'val' | 'train'; done: number; total: number }): void;
}

export async function evaluateCheckpoint(
  spec: CheckpointEvaluationSpec,
  hooks: EvaluationHooks = { log: () => {}, cancelRequested: () => false },
): Promise<CheckpointEvaluationResult | 'cancelled'> {
  const start = performance.now();
  const ckpt = spec.model ? null : readCheckpoint(spec.checkpointPath, spec.expectedSha256 ? { expectedSha256: spec.expectedSha256 } : {});
  const dataset = await openDataset(spec.dataset, { workers: 0, log: hooks.log, readers: spec.readers });
  try {
    const train = dataset.train.split;
    const val = dataset.val.split;
    const model = ckpt ? modelFromCheckpoint(ckpt, spec.checkpointPath, train.imageShape) : modelOfNetwork(loadImportedNetwork(spec.model!), train.imageShape);
    let bank: tf.Tensor2D | null = null;
    let queries: tf.Tensor2D | null = null;
    try {
      const batchSize = spec.batchSize ?? 256;
      if (!spec.recomputeMemory) {
        bank = ckpt ? checkpointBank(ckpt, spec.checkpointPath, train.size) : importedBank(spec.model!, trainSplitName(spec.dataset), train.size);
      }
      hooks.log(`Embedding ${val.size} val samples`);
      const q = await embedSplit(model, dataset.val, batchSize, hooks.cancelRequested, (done) => hooks.progress?.({ phase: 'val', done, total: val.size }));
      if (q === 'cancelled') return 'cancelled';
      queries = q;
      if (!bank) {
        hooks.log(`Recomputing ${train.size} train features (val transform)`);
        const b = await recomputeMemoryBank(model, dataset, batchSize, hooks.cancelRequested, (done) => hooks.progress?.({ phase: 'train', done, total: train.size }));
        if (b === 'cancelled') return 'cancelled';
        bank = b;
      }
      const result = await knnClassify(queries, bank, train.labels, { k: spec.k, sigma: spec.sigma, numClasses: train.numClasses });
      const acc = knnAccuracy(result, val.labels);
      if (spec.samplesPath) {
        writePerSampleFile(spec.samplesPath, {
          classes: train.numClasses,
          trainCount: train.size,
          k: result.k,
          trueLabels: val.labels,
          predicted: result.predictions,
          neighbourIndexes: new Uint32Array(result.neighbourRows.buffer, result.neighbourRows.byteOffset, result.neighbourRows.length),
          neighbourSimilarities: result.neighbourSims,
          neighbourLabels: result.neighbourRows.map((row) => train.labels[row]!),
        });
      }
      const counts = new Array<number>(train.numClasses).fill(0);
      const correct = new Array<number>(train.numClasses).fill(0);
      const confusion = new Map<number, number>();
      for (let i = 0; i < val.labels.length; i++) {
        const t = val.labels[i]!;
        const p = result.predictions[i]!;
        counts[t] = (counts[t] ?? 0) + 1;
        if (t === p) correct[t] = (correct[t] ?? 0) + 1;
        const key = t * train.numClasses + p;
        confusion.set(key, (confusion.get(key) ?? 0) + 1);
      }
      return {
        top1: acc.top1,
        top5: acc.top5,
        nnTop1: acc.nnTop1,
        samples: acc.count,
        perClass: counts.map((count, c) => ({ class: c, name: train.classNames[c] ?? String(c), correct: correct[c]!, count })),
        confusion: [...confusion.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([key, n]) => [Math.floor(key / train.numClasses), key % train.numClasses, n] as [number, number, number]),
        wallSeconds: (performance.now() - start) / 1000,
      };
    } finally {
      queries?.dispose();
      bank?.dispose();
      model.dispose();
    }
  } finally {
    await dataset.close();
  }
}

/** The checkpoint's memory bank, which must hold one row per train image. */
function checkpointBank(ckpt: LoadedCheckpoint, checkpointPath: string, trainSize: number): tf.Tensor2D {
  const lowDim = ckpt.header.config.lowDim;
  const mem = ckpt.tensors.get(MEMORY_TENSOR);
  if (!mem || mem.dtype !== 'F32' || mem.shape.length !== 2) {
    throw new CheckpointError(checkpointPath, 'has no float32 memory_bank tensor; evaluate with recomputed train features');
  }
  if (mem.shape[0] !== trainSize || mem.shape[1] !== lowDim) {
    throw new CheckpointError(
      checkpointPath,
      `memory bank is [${mem.shape.join(', ')}] but the dataset's train split has ${trainSize} samples of dimension ${lowDim}; ` +
        'evaluate with recomputed train features (--recompute-memory) for another dataset',
    );
  }
  return tf.tensor2d(mem.data as Float32Array, [mem.shape[0]!, mem.shape[1]!]);
}

/** An imported model's bank file, which must hold one row per train image of the dataset. */
function importedBank(m: ImportedModelSpec, trainName: string, trainSize: number): tf.Tensor2D {
  if (m.bankRows !== trainSize) {
    throw new Error(
      `${m.name}'s bank has ${m.bankRows} rows but ${trainName} has ${trainSize} images: bank row i must be train image i (ImageFolder order); ` +
        'point the model at the train folder its bank was computed on',
    );
  }
  if (m.bankDim !== m.config.lowDim) throw new Error(`${m.name}'s bank rows have ${m.bankDim} features but the network embeds ${m.config.lowDim}`);
  const bytes = readFileSync(m.bankPath);
  const want = m.bankRows * m.bankDim * 4;
  if (bytes.length !== want) throw new Error(`${m.bankPath}: ${bytes.length} bytes where ${m.bankRows} × ${m.bankDim} float32 rows take ${want}; the bank file is truncated or replaced`);
  const rows = bytes.byteOffset % 4 === 0 ? new Float32Array(bytes.buffer, bytes.byteOffset, want / 4) : new Float32Array(new Uint8Array(bytes).buffer);
  return tf.tensor2d(rows, [m.bankRows, m.bankDim]);
}

/** How messages name a dataset's train split: an ImageFolder's train folder, else the split. */
function trainSplitName(dataset: DatasetSpecInput): string {
  return dataset.kind === 'imagefolder' ? `the train folder ${join(dataset.root, 'train')}` : `the ${dataset.kind} train split`;
}
