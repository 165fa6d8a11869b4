/**
 * The main side of the gallery's search worker_thread (workers/gallery-search-worker.ts):
 * started on the first search, kept for the next ones (it holds the banks resident), every
 * answer parsed with the protocol's schema. If the worker dies, the searches waiting on it
 * fail with the reason and the next search starts a new one.
 */
import { Worker } from 'node:worker_threads';
import { describeIssues, issuesOf } from '../../../shared/validation.ts';
import type { DatasetKind } from '../../../shared/run-config.ts';
import type { FeatureSourceSpec } from '../../engine/eval/gallery-bank.ts';
import type { TopKList } from '../../engine/eval/top-k.ts';
import { FromSearchWorkerSchema, type ToSearchWorker } from '../../workers/gallery-search-protocol.ts';
import type { WorkerEntry } from '../../workers/worker-entry.ts';

interface Pending {
  resolve(answer: TopKList[] | Float32Array): void;
  reject(err: Error): void;
}

export class BankSearcher {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly entry: () => WorkerEntry,
    private readonly diagnostics: (line: string) => void,
  ) {}

  /** The k most similar rows of the bank file for each query (row-major [q, dim]). */
  search(file: string, rows: number, dim: number, queries: Float32Array, k: number): Promise<TopKList[]> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: (a) => (a instanceof Float32Array ? reject(new Error('the search worker answered a search with a vector')) : resolve(a)), reject });
      const msg: ToSearchWorker = { type: 'search', id, file, rows, dim, queries, k };
      worker.postMessage(msg);
    });
  }

  /** Features of an encoded image from outside the dataset, embedded as the source embeds the dataset. */
  embed(source: FeatureSourceSpec, datasetKind: DatasetKind, image: Uint8Array, name: string): Promise<Float32Array> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: (a) => (a instanceof Float32Array ? resolve(a) : reject(new Error('the search worker answered an embedding with a search'))), reject });
      const msg: ToSearchWorker = { type: 'embed', id, source, datasetKind, image, name };
      worker.postMessage(msg);
    });
  }

  /** Drops the worker's resident copy of a bank file (it is about to be replaced). */
  evict(file: string): void {
    const msg: ToSearchWorker = { type: 'evict', file };
    this.worker?.postMessage(msg);
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
    this.failAll('the gallery search worker was stopped');
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const entry = this.entry();
    const w = new Worker(entry.url, { execArgv: entry.execArgv, name: 'gallery search' });
    w.unref();
    w.on('message', (raw: unknown) => {
      const parsed = FromSearchWorkerSchema.safeParse(raw);
      if (!parsed.success) {
        this.diagnostics(`gallery search worker: a message does not follow the protocol: ${describeIssues(issuesOf(parsed.error))}`);
        return;
      }
      const msg = parsed.data;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.type === 'result') p.resolve(msg.lists);
      else if (msg.type === 'vector') p.resolve(msg.vector);
      else p.reject(new Error(msg.message));
    });
    w.on('error', (err) => {
      this.diagnostics(`gallery search worker crashed: ${err.message}`);
      this.failAll(`the gallery search worker crashed: ${err.message}`);
    });
    w.on('exit', (code) => {
      if (this.worker === w) this.worker = null;
      this.failAll(`the gallery search worker exited (code ${code})`);
    });
    this.worker = w;
    return w;
  }

  private failAll(reason: string): void {
    for (const p of this.pending.values()) p.reject(new Error(reason));
    this.pending.clear();
  }
}
