/**
 * Throughput of the engine's numerical core on the active backend: a plain matmul as the
 * yardstick, one NCA training step (loss + gradient through the tape, as the trainer runs
 * it) and weighted-kNN evaluation.
 *
 * Times are wall clock (best of a few runs). Each rate is also given as a fraction of the
 * matmul's rate twice: from wall clock (the real figure on a quiet machine) and from
 * process CPU time, which stays comparable on a machine shared with other jobs but counts
 * V8's background GC and compiler threads too (so it reads a little low).
 *
 * FLOP counts: the NCA step needs 2·B·N·D for the logits and 2·B·N·D for the gradient
 * ("useful", 4·B·N·D). Streaming over several chunks it executes 6·B·N·D (the gradient is
 * accumulated as two softmax-weighted sums of the memory rows, see nca-loss.ts); in one
 * chunk it executes the 4·B·N·D. kNN does 2·Q·N·D.
 */
import * as tf from '@tensorflow/tfjs-core';
import { knnNeighbours } from '../../src-main/engine/eval/knn.ts';
import { defaultChunkRows, ncaLoss } from '../../src-main/engine/nca/nca-loss.ts';

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

interface Timing {
  /** Best wall-clock time (ms). */
  wall: number;
  /** Best process CPU time (ms). */
  cpu: number;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Best times of `reps` runs after one warm-up. `run` must finish its work. */
async function best(reps: number, run: () => Promise<void>): Promise<Timing> {
  await run();
  const t: Timing = { wall: Infinity, cpu: Infinity };
  for (let i = 0; i < reps; i++) {
    const w0 = performance.now();
    const c0 = cpuMs();
    await run();
    t.cpu = Math.min(t.cpu, cpuMs() - c0);
    t.wall = Math.min(t.wall, performance.now() - w0);
  }
  return t;
}

const gflops = (flops: number, ms: number) => flops / ms / 1e6;

const round = (v: number, digits = 2) => Number(v.toFixed(digits));

/** GFLOP/s of a 1024³ matmul: [wall-clock, CPU-time]. */
async function matmulGflops(): Promise<[number, number]> {
  const a = tf.randomNormal([1024, 1024], 0, 1, 'float32', 1);
  const b = tf.randomNormal([1024, 1024], 0, 1, 'float32', 2);
  try {
    const t = await best(5, async () => {
      const c = tf.matMul(a, b);
      await c.data();
      c.dispose();
    });
    return [gflops(2 * 1024 ** 3, t.wall), gflops(2 * 1024 ** 3, t.cpu)];
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
    const t = await best(reps, async () => {
      const { value, grad: g } = grad(x);
      await g.data();
      tf.dispose([value, g]);
    });
    const flops = B * n * D;
    return {
      n,
      chunkSize,
      stepMs: round(t.wall, 1),
      usefulGflops: round(gflops(4 * flops, t.wall)),
      executedGflops: round(gflops((chunkSize >= n ? 4 : 6) * flops, t.wall)),
      usefulCpuGflops: round(gflops(4 * flops, t.cpu)),
    };
  } finally {
    tf.dispose([x, memory, labels, indexes]);
  }
}

async function knnRate(nq: number, n: number, k: number): Promise<Record<string, number>> {
  const queries = unitRows(nq, D, 6);
  const bank = unitRows(n, D, 7);
  try {
    const t = await best(2, async () => {
      const top = knnNeighbours(queries, bank, k);
      await top.indices.data();
      tf.dispose([top.values, top.indices]);
    });
    return {
      queries: nq,
      bank: n,
      k,
      ms: round(t.wall, 1),
      queriesPerSec: round((nq * 1000) / t.wall, 0),
      gflops: round(gflops(2 * nq * n * D, t.wall)),
      cpuGflops: round(gflops(2 * nq * n * D, t.cpu)),
    };
  } finally {
    tf.dispose([queries, bank]);
  }
}

export async function benchEngineMath(): Promise<Record<string, unknown>> {
  await tf.ready();
  const started = performance.now();
  const [matmul, matmulCpu] = await matmulGflops();
  const nca: Record<string, number>[] = [];
  for (const n of [10_000, 100_000]) {
    nca.push(await ncaStep(n, defaultChunkRows(B), n > 50_000 ? 2 : 4));
    if (B * n <= UNCHUNKED_LIMIT) nca.push(await ncaStep(n, n, 3));
  }
  const knn = await knnRate(1024, 100_000, 30);
  for (const r of nca) {
    r.usefulFractionOfMatmul = round(r.usefulGflops! / matmul, 3);
    r.usefulFractionOfMatmulCpu = round(r.usefulCpuGflops! / matmulCpu, 3);
  }
  knn.fractionOfMatmul = round(knn.gflops! / matmul, 3);
  knn.fractionOfMatmulCpu = round(knn.cpuGflops! / matmulCpu, 3);
  return {
    backend: tf.getBackend(),
    matmul1024Gflops: round(matmul),
    matmul1024CpuGflops: round(matmulCpu),
    ncaStep: nca,
    knn,
    seconds: round((performance.now() - started) / 1000, 1),
  };
}
