/**
 * worker_thread entry of gallery searches: answers search requests one at a time against
 * banks it keeps resident (their int8 codes, engine/eval/bank-search.ts; the float rows stay
 * in the files), and embeds query images from outside the dataset with the source's model
 * (the last one used stays loaded). Banks leave least recently used first once they exceed
 * the budget (SNCA_GALLERY_RESIDENT_MB, default 1536 MB of codes: a 1.28M × 128 bank holds 181 MB).
 */
import { parentPort } from 'node:worker_threads';
import { describeIssues, issuesOf } from '../../shared/validation.ts';
import { selectBackend } from '../engine/backend.ts';
import { provideThreadStarter } from '../engine/engine-threads.ts';
import * as tf from '@tensorflow/tfjs-core';
import type { ImageShape } from '../engine/data/dataset.ts';
import { BankIndex } from '../engine/eval/bank-search.ts';
import { extractorFor, type FeatureExtractor, type FeatureSourceSpec } from '../engine/eval/gallery-bank.ts';
import { datasetInputShape, queryImageInput } from '../engine/eval/gallery-query-image.ts';
import { ToSearchWorkerSchema, type FromSearchWorker } from './gallery-search-protocol.ts';
import { startWorkerEntryThread } from './worker-entry.ts';

const port = parentPort;
if (!port) throw new Error('gallery-search-worker must run inside a worker_thread');
const post = (m: FromSearchWorker) => port.postMessage(m);
provideThreadStarter(startWorkerEntryThread);

const budgetBytes = (Number(process.env.SNCA_GALLERY_RESIDENT_MB) || 1536) * 1e6;
/** Resident banks by file, least recently used first (Map keeps insertion order). */
const resident = new Map<string, BankIndex>();
/** The tensor backend, chosen on the first embedding (searches run on the scan kernel, not on it). */
let backend: ReturnType<typeof selectBackend> | null = null;

function bankOf(file: string, rows: number, dim: number): BankIndex {
  const hit = resident.get(file);
  if (hit && hit.size === rows && hit.dim === dim) {
    resident.delete(file);
    resident.set(file, hit);
    return hit;
  }
  if (hit) {
    hit.dispose();
    resident.delete(file);
  }
  // About what the index will hold: codes padded to 16 bytes a row, and 12 bytes of bounds.
  const wanted = rows * (Math.ceil(dim / 16) * 16 + 12);
  let held = [...resident.values()].reduce((n, b) => n + b.residentBytes, 0);
  for (const [f, b] of resident) {
    if (held + wanted <= budgetBytes) break;
    b.dispose();
    resident.delete(f);
    held -= b.residentBytes;
  }
  const index = BankIndex.fromFile(file, dim, { expectedRows: rows });
  if (index === 'cancelled') throw new Error(`${file}: loading was cancelled`);
  resident.set(file, index);
  return index;
}

/** The extractor of the last source asked to embed an image (a gallery asks the same few in turn). */
let extractor: { key: string; value: FeatureExtractor } | null = null;

function extractorOf(source: FeatureSourceSpec, shape: ImageShape): FeatureExtractor {
  const key = JSON.stringify([source, shape]);
  if (extractor?.key === key) return extractor.value;
  extractor?.value.dispose();
  extractor = null;
  extractor = { key, value: extractorFor(source, shape) };
  return extractor.value;
}

// One request at a time, in order: a search holds the thread for its whole pass.
let queue: Promise<void> = Promise.resolve();
port.on('message', (raw: unknown) => {
  queue = queue.then(async () => {
    const parsed = ToSearchWorkerSchema.safeParse(raw);
    if (!parsed.success) {
      const id = typeof raw === 'object' && raw !== null && 'id' in raw && typeof raw.id === 'number' ? raw.id : -1;
      post({ type: 'error', id, message: `Invalid search request: ${describeIssues(issuesOf(parsed.error))}` });
      return;
    }
    const msg = parsed.data;
    if (msg.type === 'embed') {
      try {
        await (backend ??= selectBackend());
        const shape = datasetInputShape(msg.datasetKind);
        const input = await queryImageInput(msg.datasetKind, msg.image, msg.name);
        const x = tf.tensor4d(input, [1, ...shape]);
        try {
          const out = extractorOf(msg.source, shape).embed(x);
          const vector = (await out.data()) as Float32Array;
          out.dispose();
          post({ type: 'vector', id: msg.id, vector });
        } finally {
          x.dispose();
        }
      } catch (err) {
        post({ type: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err) });
      }
      return;
    }
    if (msg.type === 'evict') {
      resident.get(msg.file)?.dispose();
      resident.delete(msg.file);
      return;
    }
    try {
      const lists = bankOf(msg.file, msg.rows, msg.dim).search(msg.queries, msg.k);
      post({ type: 'result', id: msg.id, lists: lists.map((l) => ({ rows: l.rows, similarities: l.similarities })) });
    } catch (err) {
      post({ type: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err) });
    }
  });
});
