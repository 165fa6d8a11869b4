/**
 * Throughput of the engine's numerical core on the active backend: a plain matmul as the
 * yardstick, one NCA training step (loss + gradient through the tape, as the trainer runs
 * it) and weighted-kNN evaluation. Every figure is also given as a fraction of the matmul
 * measured in the same run, which is what stays comparable on a busy machine.
 *
 * FLOP counts: the NCA step needs 2·B·N·D for the logits and 2·B·N·D for the gradient
 * ("useful", 4·B·N·D). Streaming over several chunks it executes 6·B·N·D (the gradient is
 * accumulated as two softmax-weighted sums of the memory rows, see nca-loss.ts); in one
 * chunk it executes the 4·B·N·D. kNN does 2·Q·N·D.
 */
import * as tf from '@tensorflow/tfjs-core';
import { knnNeighbours } from '../../src-main/engine/eval/knn.ts';
import { DEFAULT_CHUNK_SIZE, ncaLoss } from '../../src-main/engine/nca/nca-loss.ts';

const B = 256;
const D = 128;
/** Largest B×N processed in one piece for the "unchunked" figure (floats). */
const UNCHUNKED_LIMIT = 4 * 1024 * 1024;

function unitRows(n: number, d: number, seed: number): tf.Tensor2D {
  return tf.tidy(() => {
    const r = tf.randomNormal([n, d], 0, 1, 'float32', seed);
    return tf.div(r, tf.norm(r, 2, 1, true)) as tf.Tensor2D;
  });
}

/** Best wall time of `reps` runs after one warm-up (ms). `run` must finish its work. */
async function bestMs(reps: number, run: () => Promise<void>): Promise<number> {
  await run();
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await run();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

const round = (v: number, digits = 2) => Number(v.toFixed(digits));

async function matmulGflops(): Promise<number> {
  const a = tf.randomNormal([1024, 1024], 0, 1, 'float32', 1);
  const b = tf.randomNormal([1024, 1024], 0, 1, 'float32', 2);
  try {
    const ms = await bestMs(3, async () => {
      const c = tf.matMul(a, b);
      await c.data();
      c.dispose();
    });
    return (2 * 1024 ** 3) / ms / 1e6;
  } finally {
    tf.dispose([a, b]);
  }
}

async function ncaStep(n: number, chunkSize: number, reps: number): Promise<Record<string, number>> {
  const x = unitRows(B, D, 3);
  const memory = unitRows(n, D, 4);
  const labels = tf.tidy(() => tf.cast(tf.floor(tf.mul(tf.randomUniform([n], 0, 1, 'float32', 5), 1000)), 'int32')) as tf.Tensor1D;
  const indexes = tf.tensor1d(Int32Array.from({ length: B }, (_, i) => Math.floor((i * n) / B)), 'int32');
  const opts = { temperature: 0.07, marginOverT: 0, chunkSize };
  const grad = tf.valueAndGrad((xi: tf.Tensor) => ncaLoss(xi as tf.Tensor2D, memory, labels, indexes, opts));
  try {
    const ms = await bestMs(reps, async () => {
      const { value, grad: g } = grad(x);
      await g.data();
      tf.dispose([value, g]);
    });
    const flops = B * n * D;
    return {
      n,
      chunkSize,
      stepMs: round(ms, 1),
      usefulGflops: round((4 * flops) / ms / 1e6),
      executedGflops: round(((chunkSize >= n ? 4 : 6) * flops) / ms / 1e6),
    };
  } finally {
    tf.dispose([x, memory, labels, indexes]);
  }
}

async function knnRate(nq: number, n: number, k: number): Promise<Record<string, number>> {
  const queries = unitRows(nq, D, 6);
  const bank = unitRows(n, D, 7);
  try {
    const ms = await bestMs(1, async () => {
      const top = knnNeighbours(queries, bank, k);
      await top.indices.data();
      tf.dispose([top.values, top.indices]);
    });
    return {
      queries: nq,
      bank: n,
      k,
      ms: round(ms, 1),
      queriesPerSec: round((nq * 1000) / ms, 0),
      gflops: round((2 * nq * n * D) / ms / 1e6),
    };
  } finally {
    tf.dispose([queries, bank]);
  }
}

export async function benchEngineMath(): Promise<Record<string, unknown>> {
  await tf.ready();
  const started = performance.now();
  const matmul = await matmulGflops();
  const nca: Record<string, number>[] = [];
  for (const n of [10_000, 100_000]) {
    nca.push(await ncaStep(n, DEFAULT_CHUNK_SIZE, n > 50_000 ? 2 : 4));
    if (B * n <= UNCHUNKED_LIMIT) nca.push(await ncaStep(n, n, 3));
  }
  const knn = await knnRate(1024, 100_000, 30);
  // Measured again at the end: on a shared machine the yardstick drifts.
  const matmulAfter = await matmulGflops();
  const yardstick = Math.max(matmul, matmulAfter);
  for (const r of nca) r.usefulFractionOfMatmul = round(r.usefulGflops! / yardstick, 3);
  knn.fractionOfMatmul = round(knn.gflops! / yardstick, 3);
  return {
    backend: tf.getBackend(),
    matmul1024Gflops: round(matmul),
    matmul1024GflopsAfter: round(matmulAfter),
    ncaStep: nca,
    knn,
    seconds: round((performance.now() - started) / 1000, 1),
  };
}
