/**
 * Memory and time of one NCA step (loss + gradient through the tape, as the trainer runs
 * it) for B = 256, D = 128 and banks of 10k, 100k and 1.28M rows, streamed in chunks of
 * defaultChunkRows(B) = 8192 ("chunked") and in one piece (chunkSize = N, "unchunked").
 *
 * Memory is tfjs's own accounting: `tf.profile(step).peakBytes` is the largest total of
 * live tensor bytes seen after any kernel (it includes the bank, its labels and the batch,
 * and misses scratch a kernel frees before returning). peakBytes is reported raw, and as
 * extraBytes = peakBytes − the bytes live before the step (bank + labels + batch + indexes);
 * bankBytes is the bank alone. The first (profiled) run is also the warm-up; the time is
 * the best of the following runs. A configuration that runs out of memory is reported as
 * "did not fit" with the error (the wasm heap is at most 4 GB).
 */
import * as tf from '@tensorflow/tfjs-core';
import { defaultChunkRows, ncaLoss } from '../../src-main/engine/nca/nca-loss.ts';

const B = 256;
const D = 128;
const MB = 1024 * 1024;
const round = (v: number, digits = 1) => Number(v.toFixed(digits));

export interface NcaMemoryRow {
  n: number;
  mode: 'chunked' | 'unchunked';
  chunkSize: number;
  fit: boolean;
  stepMs?: number;
  peakMB?: number;
  extraMB?: number;
  bankMB: number;
  error?: string;
}

/** A bank of n rows drawn in JS (one n×D allocation on the backend, no temporaries). */
function bankTensor(n: number, seed: number): tf.Tensor2D {
  const values = new Float32Array(n * D);
  let s = seed >>> 0 || 1;
  const stdv = 1 / Math.sqrt(D / 3);
  for (let i = 0; i < values.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    values[i] = -stdv + (2 * stdv * (s >>> 0)) / 4294967296;
  }
  return tf.tensor2d(values, [n, D]);
}

async function measure(
  n: number,
  chunkSize: number,
  memory: tf.Tensor2D,
  labels: tf.Tensor1D,
  reps: number,
): Promise<NcaMemoryRow> {
  const mode = chunkSize >= n ? 'unchunked' : 'chunked';
  const bankMB = round((n * D * 4) / MB);
  const x = tf.tidy(() => {
    const r = tf.randomNormal([B, D], 0, 1, 'float32', 3);
    return tf.div(r, tf.norm(r, 2, 1, true)) as tf.Tensor2D;
  });
  const indexes = tf.tensor1d(Int32Array.from({ length: B }, (_, i) => Math.floor((i * n) / B)), 'int32');
  const grad = tf.valueAndGrad((xi: tf.Tensor) => ncaLoss(xi as tf.Tensor2D, memory, labels, indexes, { temperature: 0.07, chunkSize }));
  const run = async (): Promise<void> => {
    const { value, grad: g } = grad(x);
    await g.data();
    tf.dispose([value, g]);
  };
  try {
    const before = tf.memory().numBytes;
    const info = await tf.profile(run);
    let stepMs = Infinity;
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      await run();
      stepMs = Math.min(stepMs, performance.now() - t0);
    }
    return {
      n,
      mode,
      chunkSize,
      fit: true,
      stepMs: round(stepMs),
      peakMB: round(info.peakBytes / MB),
      extraMB: round((info.peakBytes - before) / MB),
      bankMB,
    };
  } catch (e) {
    return { n, mode, chunkSize, fit: false, bankMB, error: `did not fit: ${e instanceof Error ? e.message : String(e)}`.slice(0, 300) };
  } finally {
    tf.dispose([x, indexes]);
  }
}

export const NCA_MEMORY_SIZES = [10_000, 100_000, 1_280_000] as const;

/**
 * The table for `sizes`; `unchunked: false` skips the one-piece runs (the bench runs the
 * 1.28M unchunked case in a process of its own: a wasm out-of-memory aborts the module).
 */
export async function benchNcaMemory(
  sizes: readonly number[] = NCA_MEMORY_SIZES,
  modes: { chunked: boolean; unchunked: boolean } = { chunked: true, unchunked: true },
): Promise<Record<string, unknown>> {
  await tf.ready();
  const started = performance.now();
  const rows: NcaMemoryRow[] = [];
  for (const n of sizes) {
    const memory = bankTensor(n, 4);
    const labels = tf.tensor1d(Int32Array.from({ length: n }, (_, i) => (i * 7919) % 1000), 'int32');
    try {
      const reps = n > 500_000 ? 1 : 3;
      if (modes.chunked) rows.push(await measure(n, defaultChunkRows(B), memory, labels, reps));
      // Unchunked last: running out of memory there is the expected outcome at 1.28M.
      if (modes.unchunked) rows.push(await measure(n, n, memory, labels, reps));
    } finally {
      tf.dispose([memory, labels]);
    }
  }
  return {
    backend: tf.getBackend(),
    batch: B,
    dim: D,
    defaultChunk: defaultChunkRows(B),
    rows,
    seconds: round((performance.now() - started) / 1000),
  };
}
