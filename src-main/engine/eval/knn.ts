/**
 * Weighted kNN and nearest-neighbour classification against a feature bank, as the
 * reference's test.py `kNN()` defines them: the K most similar bank rows by inner product
 * vote for their class with weight exp(sim / sigma); classes are ranked by total weight.
 * Top-1 is the best class, top-5 the best min(5, C); the nearest neighbour's label is the
 * label of the single most similar row. When the bank is the training memory, a query's
 * own row is not excluded.
 *
 * The bank is streamed in chunks (outer loop) and the queries in chunks (inner loop), so
 * each transposed bank chunk is packed into the matmul once for all queries, and memory
 * stays O(queryChunk × bankChunk) plus the running top-K of every query.
 *
 * Per chunk, the top-K is tf.topk behind a group-maximum prefilter (see
 * kernels/grouped-top-k.ts): wasm's TopK sorts whole rows and would cost as much as the
 * matmul.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gatherPerRow, GROUP_SIZE, groupedTopK } from '../kernels/grouped-top-k.ts';
import { sliceRows, sliceRowsTransposed } from '../kernels/row-slices.ts';
import { maxTensorBytes } from '../webgpu-device.ts';

/** tf.tidy for functions returning plain objects of tensors (its own typing rejects them). */
function tidyObject<T>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T;
}

export interface KnnOptions {
  /** Neighbours that vote (clamped to the bank size). */
  k: number;
  /** Weight temperature: a neighbour's vote is exp(similarity / sigma). */
  sigma: number;
  numClasses: number;
  /** Queries per matmul (default 2048). */
  queryChunk?: number;
  /** Bank rows per matmul (default 32768). */
  bankChunk?: number;
}

export interface KnnResult {
  /** Classes ranked by total weight, `topWidth` per query, row-major. */
  top5: Int32Array;
  /** min(5, numClasses). */
  topWidth: number;
  /** Best class of each query (= top5[q·topWidth]). */
  predictions: Int32Array;
  /** Label of each query's most similar bank row. */
  nnLabels: Int32Array;
  /** Index of each query's most similar bank row. */
  nnIndexes: Int32Array;
  /** Neighbours actually used: min(k, bank size). */
  k: number;
  /** Each query's k neighbours (bank rows, most similar first) and their similarities, [Q, k] row-major. */
  neighbourRows: Int32Array;
  neighbourSims: Float32Array;
}

export interface KnnAccuracy {
  /** Fractions in [0, 1]. */
  top1: number;
  top5: number;
  nnTop1: number;
  top1Correct: number;
  top5Correct: number;
  nnCorrect: number;
  count: number;
}

export class KnnInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KnnInputError';
  }
}

const DEFAULT_QUERY_CHUNK = 2048;
// Larger bank chunks pay the per-chunk merge and top-k costs fewer times (README, engine measurements);
// the similarity block is then 2048 × 32768 floats (256 MB) at most.
const DEFAULT_BANK_CHUNK = 32768;

interface RunningTopK {
  values: tf.Tensor2D;
  /** Global bank row indices, int32. */
  indices: tf.Tensor2D;
}

function mergeTopK(prev: RunningTopK | null, values: tf.Tensor2D, indices: tf.Tensor2D, k: number): RunningTopK {
  if (!prev) return { values, indices };
  return tidyObject(() => {
    const v = tf.concat([prev.values, values], 1);
    const i = tf.concat([prev.indices, indices], 1);
    const top = tf.topk(v, Math.min(k, v.shape[1]!));
    return { values: top.values as tf.Tensor2D, indices: gatherPerRow(i as tf.Tensor2D, top.indices as tf.Tensor2D) };
  });
}

function validate(queries: tf.Tensor2D, bank: tf.Tensor2D, bankLabels: Int32Array, opts: KnnOptions): void {
  if (queries.rank !== 2 || bank.rank !== 2 || queries.shape[1] !== bank.shape[1]) {
    throw new KnnInputError(`knn: queries [${queries.shape}] and bank [${bank.shape}] must be matrices of equal width`);
  }
  if (bankLabels.length !== bank.shape[0]) {
    throw new KnnInputError(`knn: ${bankLabels.length} bank labels for ${bank.shape[0]} bank rows`);
  }
  if (!Number.isInteger(opts.k) || opts.k < 1) throw new KnnInputError(`knn: k must be a positive integer, got ${opts.k}`);
  if (!(opts.sigma > 0)) throw new KnnInputError(`knn: sigma must be positive, got ${opts.sigma}`);
  if (!Number.isInteger(opts.numClasses) || opts.numClasses < 1) {
    throw new KnnInputError(`knn: numClasses must be a positive integer, got ${opts.numClasses}`);
  }
  for (let i = 0; i < bankLabels.length; i++) {
    const l = bankLabels[i]!;
    if (!(l >= 0 && l < opts.numClasses)) {
      throw new KnnInputError(`knn: bank label ${l} of row ${i} is outside [0, ${opts.numClasses})`);
    }
  }
}

/**
 * Shrinks the [queries, bank rows] similarity block to at most `maxElements` (a GPU's
 * storage-buffer limit): fewer queries first, then fewer bank rows (still ≥ K and a
 * multiple of the group size where possible).
 */
export function fitSimilarityBlock(qChunk: number, bChunk: number, k: number, maxElements: number): { qChunk: number; bChunk: number } {
  if (qChunk * bChunk <= maxElements) return { qChunk, bChunk };
  const q = Math.max(1, Math.floor(maxElements / bChunk));
  if (q * bChunk <= maxElements) return { qChunk: q, bChunk };
  const rows = Math.floor(maxElements / GROUP_SIZE) * GROUP_SIZE;
  return { qChunk: 1, bChunk: Math.max(k, rows > 0 ? rows : maxElements) };
}

/** The K most similar bank rows of every query: similarities and indices, [Q, K] each. */
export function knnNeighbours(
  queries: tf.Tensor2D,
  bank: tf.Tensor2D,
  k: number,
  chunks: { queryChunk?: number; bankChunk?: number } = {},
): RunningTopK {
  const [nq] = queries.shape;
  const nb = bank.shape[0];
  const kEff = Math.min(k, nb);
  let qChunk = Math.max(1, Math.min(chunks.queryChunk ?? DEFAULT_QUERY_CHUNK, nq));
  // A multiple of the group size (so full chunks can use the prefilter) and never below K.
  let bChunk = Math.max(chunks.bankChunk ?? DEFAULT_BANK_CHUNK, kEff);
  bChunk = Math.min(nb, Math.ceil(bChunk / GROUP_SIZE) * GROUP_SIZE);
  ({ qChunk, bChunk } = fitSimilarityBlock(qChunk, bChunk, kEff, Math.floor(maxTensorBytes() / 4)));
  const running: (RunningTopK | null)[] = new Array(Math.ceil(nq / qChunk)).fill(null);
  try {
    for (let b0 = 0; b0 < nb; b0 += bChunk) {
      const bn = Math.min(bChunk, nb - b0);
      const bankT = sliceRowsTransposed(bank, b0, bn); // [D, bn]
      try {
        for (let qi = 0; qi < running.length; qi++) {
          const q0 = qi * qChunk;
          const qn = Math.min(qChunk, nq - q0);
          const prev = running[qi]!;
          running[qi] = tidyObject(() => {
            const qs = qn === nq ? queries : sliceRows(queries, q0, qn);
            const sims: tf.Tensor2D = tf.matMul(qs, bankT);
            const top = groupedTopK(sims, kEff);
            const global = b0 === 0 ? top.indices : (tf.add(top.indices, tf.scalar(b0, 'int32')) as tf.Tensor2D);
            return mergeTopK(prev, top.values, global, kEff);
          });
          if (prev) tf.dispose([prev.values, prev.indices]);
        }
      } finally {
        bankT.dispose();
      }
    }
    if (running.length === 1) return running[0]!;
    const out = tidyObject(() => ({
      values: tf.concat(running.map((r) => r!.values), 0) as tf.Tensor2D,
      indices: tf.concat(running.map((r) => r!.indices), 0) as tf.Tensor2D,
    }));
    return out;
  } finally {
    if (running.length > 1) for (const r of running) if (r) tf.dispose([r.values, r.indices]);
  }
}

/**
 * Weighted kNN (top-1 / top-min(5, C) classes) and 1-NN labels of every query. The
 * queries' own bank rows are not excluded (as in the reference's evaluation on the
 * validation split). Reads the [Q, K] neighbour lists back to JS once, at the end.
 */
export async function knnClassify(queries: tf.Tensor2D, bank: tf.Tensor2D, bankLabels: Int32Array, opts: KnnOptions): Promise<KnnResult> {
  validate(queries, bank, bankLabels, opts);
  const nq = queries.shape[0];
  if (nq === 0) return voteFromNeighbours(new Float32Array(0), new Int32Array(0), 0, 0, bankLabels, opts.numClasses, opts.sigma);
  const top = knnNeighbours(queries, bank, opts.k, opts);
  let sims: Float32Array;
  let rows: Int32Array;
  try {
    sims = (await top.values.data()) as Float32Array;
    rows = (await top.indices.data()) as Int32Array;
  } finally {
    tf.dispose([top.values, top.indices]);
  }
  const k = top.values.shape[1]!;
  return voteFromNeighbours(sims, rows, nq, k, bankLabels, opts.numClasses, opts.sigma);
}

/** Class ranking from neighbour lists (sorted by similarity, descending), in float64. */
export function voteFromNeighbours(
  sims: Float32Array,
  rows: Int32Array,
  nq: number,
  k: number,
  bankLabels: Int32Array,
  numClasses: number,
  sigma: number,
): KnnResult {
  const width = Math.min(5, numClasses);
  const top5 = new Int32Array(nq * width);
  const predictions = new Int32Array(nq);
  const nnLabels = new Int32Array(nq);
  const nnIndexes = new Int32Array(nq);
  const totals = new Float64Array(numClasses);
  const touched: number[] = [];
  for (let q = 0; q < nq; q++) {
    const base = q * k;
    const maxSim = sims[base]!;
    touched.length = 0;
    for (let j = 0; j < k; j++) {
      const cls = bankLabels[rows[base + j]!]!;
      if (totals[cls] === 0) touched.push(cls);
      // Shifting by the best similarity scales every total alike and cannot overflow.
      totals[cls]! += Math.exp((sims[base + j]! - maxSim) / sigma);
    }
    touched.sort((a, b) => totals[b]! - totals[a]! || a - b);
    let filled = 0;
    for (; filled < width && filled < touched.length; filled++) top5[q * width + filled] = touched[filled]!;
    // Classes no neighbour voted for tie at zero; fill in ascending class order.
    for (let cls = 0; filled < width && cls < numClasses; cls++) if (totals[cls] === 0) top5[q * width + filled++] = cls;
    for (const cls of touched) totals[cls] = 0;
    predictions[q] = top5[q * width]!;
    nnIndexes[q] = rows[base]!;
    nnLabels[q] = bankLabels[rows[base]!]!;
  }
  return { top5, topWidth: width, predictions, nnLabels, nnIndexes, k, neighbourRows: rows, neighbourSims: sims };
}

export function knnAccuracy(result: KnnResult, targets: Int32Array): KnnAccuracy {
  const n = result.predictions.length;
  if (targets.length !== n) throw new KnnInputError(`knnAccuracy: ${targets.length} targets for ${n} queries`);
  let top1Correct = 0;
  let top5Correct = 0;
  let nnCorrect = 0;
  const w = result.topWidth;
  for (let q = 0; q < n; q++) {
    const t = targets[q];
    if (result.predictions[q] === t) top1Correct++;
    for (let j = 0; j < w; j++) {
      if (result.top5[q * w + j] === t) {
        top5Correct++;
        break;
      }
    }
    if (result.nnLabels[q] === t) nnCorrect++;
  }
  const frac = (c: number) => (n === 0 ? 0 : c / n);
  return { top1: frac(top1Correct), top5: frac(top5Correct), nnTop1: frac(nnCorrect), top1Correct, top5Correct, nnCorrect, count: n };
}
