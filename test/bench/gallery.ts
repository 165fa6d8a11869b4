/**
 * `npm run bench -- gallery`: exact nearest-neighbour search of the gallery (engine/eval/
 * bank-search.ts) against banks of 100k and 1.28M random unit vectors of 128 dimensions
 * (the size of the reference's ImageNet memory), k = 20 as the gallery shows:
 * - latency of single queries (median and p95 of several, after one warm-up);
 * - queries/s in batches of 64;
 * - memory: RSS and JS heap after loading, peak RSS of the process so far, tensor bytes;
 * and the embedding throughput of ResNet-18/50 at 224×224 (random weights: the figure is
 * the same for any weights) in eval mode on the backend in use.
 */
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src-main/engine/backend.ts';
import { BankIndex } from '../../src-main/engine/eval/bank-search.ts';
import { createModel } from '../../src-main/engine/models/model.ts';

const DIM = 128;
const K = 20;

const mb = (bytes: number) => Math.round(bytes / 1e6);
const round = (v: number, digits = 1) => Number(v.toFixed(digits));

/** Deterministic unit rows (normal via Box–Muller from a 32-bit LCG), generated per block. */
function unitRows(start: number, count: number, seed: number): Float32Array {
  const out = new Float32Array(count * DIM);
  let s = (seed * 2654435761 + start * 40503) >>> 0;
  const uniform = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 1) / 4294967297;
  for (let r = 0; r < count; r++) {
    let norm = 0;
    for (let d = 0; d < DIM; d += 2) {
      const a = Math.sqrt(-2 * Math.log(uniform()));
      const t = 2 * Math.PI * uniform();
      const x = a * Math.cos(t);
      const y = a * Math.sin(t);
      out[r * DIM + d] = x;
      out[r * DIM + d + 1] = y;
      norm += x * x + y * y;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let d = 0; d < DIM; d++) out[r * DIM + d]! *= inv;
  }
  return out;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function memory(): Record<string, number> {
  const m = process.memoryUsage();
  return {
    rss_mb: mb(m.rss),
    heap_used_mb: mb(m.heapUsed),
    array_buffers_mb: mb(m.arrayBuffers),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1000),
    tensor_mb: mb(tf.memory().numBytes),
  };
}

async function benchBank(size: number, singles: number, batches: number): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const index = BankIndex.fromBlocks(size, DIM, (start, count) => unitRows(start, count, 1));
  const loadSeconds = (performance.now() - t0) / 1000;
  const afterLoad = memory();
  try {
    const queries = unitRows(0, Math.max(singles + 1, 64), 2);
    // Warm-up: the first product per chunk packs the chunk for XNNPACK.
    index.search(queries.subarray(0, DIM), K);
    const times: number[] = [];
    for (let i = 1; i <= singles; i++) {
      const t = performance.now();
      index.search(queries.subarray(i * DIM, (i + 1) * DIM), K);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const batch = queries.subarray(0, 64 * DIM);
    let bestBatch = Infinity;
    for (let i = 0; i < batches; i++) {
      const t = performance.now();
      index.search(batch, K);
      bestBatch = Math.min(bestBatch, performance.now() - t);
    }
    return {
      rows: size,
      dim: DIM,
      k: K,
      bank_mb: mb(size * DIM * 4),
      load_s: round(loadSeconds, 2),
      single_query_ms: { median: round(percentile(times, 0.5)), p95: round(percentile(times, 0.95)), min: round(times[0]!), runs: times.length },
      batch64: { ms: round(bestBatch), queries_per_s: round((64 * 1000) / bestBatch) },
      memory_after_load: afterLoad,
      memory_after_search: memory(),
    };
  } finally {
    index.dispose();
  }
}

async function embedThroughput(arch: 'resnet18' | 'resnet50', batch: number): Promise<Record<string, unknown>> {
  const model = createModel(arch, { lowDim: DIM, inputShape: [224, 224, 3], seed: 1 });
  const images = tf.randomNormal([batch, 224, 224, 3], 0, 1, 'float32', 3);
  try {
    const run = async () => {
      const out = tf.tidy(() => model.apply(images as tf.Tensor4D, false));
      await out.data();
      out.dispose();
    };
    await run();
    let best = Infinity;
    for (let i = 0; i < 2; i++) {
      const t = performance.now();
      await run();
      best = Math.min(best, performance.now() - t);
    }
    return { batch, ms_per_batch: round(best), images_per_s: round((batch * 1000) / best, 2) };
  } finally {
    images.dispose();
    model.dispose();
  }
}

export async function benchGallery(): Promise<Record<string, unknown>> {
  const backend = await selectBackend();
  const result: Record<string, unknown> = { backend: backend.name, device: backend.device, loadavg_before: loadavg().map((l) => round(l, 2)) };
  result.search_100k = await benchBank(100_000, 30, 3);
  result.search_1_28M = await benchBank(1_280_000, 15, 2);
  result.embed_resnet18_224 = await embedThroughput('resnet18', 16);
  result.embed_resnet50_224 = await embedThroughput('resnet50', 8);
  result.loadavg_after = loadavg().map((l) => round(l, 2));
  return result;
}
