/**
 * `npm run bench -- gallery`: exact nearest-neighbour search of the gallery (engine/eval/
 * bank-search.ts: int8 first pass + exact re-rank) against bank files of 100k and 1.28M random
 * unit vectors of 128 dimensions (the size of the reference's ImageNet memory), k = 20 as the
 * gallery shows:
 * - bank load: coding the float32 file (read from the page cache: it was just written);
 * - latency of single queries (median and p95 of several, after one warm-up);
 * - queries/s in batches of 64;
 * - rows re-ranked exactly per query, and one query checked against a brute-force scan;
 * - the threads the first pass ran on (2 once the helper thread is up; SNCA_BANK_SCAN_HELPER=0: 1);
 * - memory: what the index holds, RSS and JS heap after loading, peak RSS of the process so far
 *   (taken before a second, one-thread index of the same file is loaded to time single queries
 *   without the helper thread);
 * and the embedding throughput of ResNet-18/50 at 224×224 (random weights: the figure is
 * the same for any weights) in eval mode on the backend in use.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src-main/engine/backend.ts';
import { BankIndex } from '../../src-main/engine/eval/bank-search.ts';
import { TopK } from '../../src-main/engine/eval/top-k.ts';
import { createModel } from '../../src-main/engine/models/model.ts';

const DIM = 128;
const K = 20;
/** Rows generated and written per block. */
const BLOCK = 65536;

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

/** Writes a bank file of `size` unit rows, block by block. */
function writeBank(file: string, size: number): void {
  const fd = openSync(file, 'w');
  try {
    for (let start = 0; start < size; start += BLOCK) {
      const rows = unitRows(start, Math.min(BLOCK, size - start), 1);
      writeSync(fd, new Uint8Array(rows.buffer));
    }
  } finally {
    closeSync(fd);
  }
}

/** The top-k rows of one query by comparing every row in float64 (the reference). */
function bruteForceRows(size: number, query: Float32Array): number[] {
  const top = new TopK(K);
  for (let start = 0; start < size; start += BLOCK) {
    const rows = unitRows(start, Math.min(BLOCK, size - start), 1);
    for (let r = 0; r * DIM < rows.length; r++) {
      let s = 0;
      for (let d = 0; d < DIM; d++) s += rows[r * DIM + d]! * query[d]!;
      top.offer(s, start + r);
    }
  }
  return [...top.sorted().rows];
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
  };
}

async function benchBank(size: number, singles: number, batches: number): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'snca-bench-bank-'));
  try {
    const file = join(dir, 'bank.f32');
    writeBank(file, size);
    const t0 = performance.now();
    const index = BankIndex.fromFile(file, DIM, { expectedRows: size });
    if (index === 'cancelled') throw new Error('bank load cancelled');
    const loadSeconds = (performance.now() - t0) / 1000;
    const afterLoad = memory();
    try {
      // The helper thread of the scan starts with the index; searches before it is up run on one thread.
      for (let i = 0; i < 100 && index.threads < 2; i++) await new Promise((r) => setTimeout(r, 50));
      const queries = unitRows(0, Math.max(singles + 1, 64), 2);
      const exact = index.search(queries.subarray(0, DIM), K)[0]!;
      const exactCheck = [...exact.rows].join() === bruteForceRows(size, queries.subarray(0, DIM)).join();
      const reranked0 = index.rerankedRows;
      const times: number[] = [];
      for (let i = 1; i <= singles; i++) {
        const t = performance.now();
        index.search(queries.subarray(i * DIM, (i + 1) * DIM), K);
        times.push(performance.now() - t);
      }
      const rerankedPerQuery = (index.rerankedRows - reranked0) / singles;
      times.sort((a, b) => a - b);
      const batch = queries.subarray(0, 64 * DIM);
      const batchTimes: number[] = [];
      for (let i = 0; i < batches; i++) {
        const t = performance.now();
        index.search(batch, K);
        batchTimes.push(performance.now() - t);
      }
      batchTimes.sort((a, b) => a - b);
      const medianBatch = percentile(batchTimes, 0.5);
      // Taken before the one-thread index below is loaded beside this one.
      const afterSearch = memory();
      // The same single queries with the scan on this thread only (no helper thread).
      const one = BankIndex.fromFile(file, DIM, { expectedRows: size, oneThread: true });
      if (one === 'cancelled') throw new Error('bank load cancelled');
      const oneTimes: number[] = [];
      try {
        one.search(queries.subarray(0, DIM), K);
        for (let i = 1; i <= singles; i++) {
          const t = performance.now();
          one.search(queries.subarray(i * DIM, (i + 1) * DIM), K);
          oneTimes.push(performance.now() - t);
        }
      } finally {
        one.dispose();
      }
      oneTimes.sort((a, b) => a - b);
      return {
        rows: size,
        dim: DIM,
        k: K,
        bank_file_mb: mb(size * DIM * 4),
        index_mb: mb(index.residentBytes),
        scan_threads: index.threads,
        load_s: round(loadSeconds, 2),
        exact_check_vs_brute_force: exactCheck,
        single_query_ms: { median: round(percentile(times, 0.5)), p95: round(percentile(times, 0.95)), min: round(times[0]!), runs: times.length },
        single_query_ms_one_thread: { median: round(percentile(oneTimes, 0.5)), p95: round(percentile(oneTimes, 0.95)), min: round(oneTimes[0]!) },
        rows_reranked_per_query: Math.round(rerankedPerQuery),
        batch64: { median_ms: round(medianBatch), queries_per_s: Math.round((64 * 1000) / medianBatch), best_queries_per_s: Math.round((64 * 1000) / batchTimes[0]!), runs: batches },
        memory_after_load: afterLoad,
        memory_after_search: afterSearch,
      };
    } finally {
      index.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
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
  const result: Record<string, unknown> = { loadavg_before: loadavg().map((l) => round(l, 2)), memory_at_start: memory() };
  // The search needs no tensor backend; it is chosen after, for the embedding figures.
  result.search_100k = await benchBank(100_000, 100, 5);
  result.search_1_28M = await benchBank(1_280_000, 40, 5);
  const backend = await selectBackend();
  result.embedding_backend = { name: backend.name, device: backend.device };
  result.embed_resnet18_224 = await embedThroughput('resnet18', 16);
  result.embed_resnet50_224 = await embedThroughput('resnet50', 8);
  result.loadavg_after = loadavg().map((l) => round(l, 2));
  return result;
}
