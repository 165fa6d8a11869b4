import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { Batch, Dataset, DatasetSplit } from '../../../src-main/engine/data/dataset.ts';
import { createBatchExecutor, LoaderPoolError, type BatchExecutor } from '../../../src-main/engine/data/loader-pool.ts';
import type { BatchOutput, BatchTask, PipelineSpec } from '../../../src-main/engine/data/loader-protocol.ts';
import { openDataset } from '../../../src-main/engine/data/open-dataset.ts';
import { IMAGENET_MEAN, IMAGENET_STD } from '../../../src-main/engine/data/recipes.ts';
import { SplitLoader } from '../../../src-main/engine/data/split-loader.ts';
import { centerCrop, normalize, randomHorizontalFlip, randomResizedCrop, resize } from '../../../src-main/engine/data/transforms.ts';
import { provideThreadStarter } from '../../../src-main/engine/engine-threads.ts';
import { resolveWorkerEntry, startWorkerEntryThread } from '../../../src-main/workers/worker-entry.ts';
import { fakeCifar, writeCifar } from '../../unit/engine/data/cifar-fixtures.ts';
import { writeImageFolderTree } from '../../unit/engine/data/image-folder-fixtures.ts';
import { waitFor } from '../../fixtures/wait-for.ts';

const tmp = mkdtempSync(join(tmpdir(), 'snca-loader-'));
const cifarRoot = join(tmp, 'cifar');
const folderRoot = join(tmp, 'folder');
before(async () => {
  writeCifar(cifarRoot, 'cifar10', 'binary', fakeCifar('cifar10', 40, 30));
  await writeImageFolderTree(folderRoot);
});
after(() => rmSync(tmp, { recursive: true, force: true }));
provideThreadStarter(startWorkerEntryThread);

async function epochOf(ds: Dataset, which: 'train' | 'val', epoch: number, batchSize = 32, dropLast = which === 'train'): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of ds[which].epoch({ epoch, batchSize, shuffle: which === 'train', dropLast, seed: 11 })) out.push(b);
  return out;
}

test('worker entry resolves to the TypeScript source when running from source', () => {
  const e = resolveWorkerEntry('data-loader-worker');
  assert.equal(e.file, fileURLToPath(new URL('../../../src-main/workers/data-loader-worker.ts', import.meta.url)));
  assert.equal(e.url.protocol, 'data:', 'a bootstrap that registers tsx in the worker');
  assert.ok(decodeURIComponent(e.url.href).includes(new URL('../../../src-main/workers/data-loader-worker.ts', import.meta.url).href), 'decodeURIComponent(e.url.href).includes(new URL(\'../../../src-main/wo');
  assert.throws(() => resolveWorkerEntry('no-such-worker'), /The worker 'no-such-worker' was not found.*npm run build/);
  assert.throws(() => resolveWorkerEntry('../evil'), /Invalid worker name/);
});

test('the pool starts its threads only through the ThreadStarter the engine was given', async () => {
  provideThreadStarter(null);
  try {
    assert.throws(
      () => createBatchExecutor(2),
      (e: unknown) => e instanceof LoaderPoolError && /workers: 2 asks for data loader threads.*no way to start threads.*use workers: 0/.test(e.message),
    );
    assert.equal(createBatchExecutor(0).workers, 0, 'decoding on the calling thread needs no starter');
    const started: string[] = [];
    provideThreadStarter((thread, options) => {
      started.push(`${thread} ${options.name}`);
      return startWorkerEntryThread(thread, options);
    });
    const pool = createBatchExecutor(2);
    await pool.close();
    assert.deepEqual(started, ['data-loader-worker data-loader-0', 'data-loader-worker data-loader-1']);
  } finally {
    provideThreadStarter(startWorkerEntryThread);
  }
});

test('CIFAR batches are identical with 0 and 2 workers (augmentation independent of scheduling)', async () => {
  const inline = await openDataset({ kind: 'cifar10', root: cifarRoot }, { workers: 0, log: () => undefined });
  const pooled = await openDataset({ kind: 'cifar10', root: cifarRoot }, { workers: 2, log: () => undefined });
  try {
    const a = await epochOf(inline, 'train', 3);
    const b = await epochOf(pooled, 'train', 3);
    assert.equal(a.length, 6, '200 samples, batch 32, drop last');
    assert.deepEqual(b, a);
    const c = await epochOf(pooled, 'train', 4);
    assert.notDeepEqual(c[0].indexes, a[0].indexes, 'each epoch has its own order');
    const v = await epochOf(pooled, 'val', 0);
    assert.deepEqual(v.map((x) => x.shape[0]), [30]);
    assert.deepEqual(Array.from(v[0].indexes), Array.from({ length: 30 }, (_, i) => i));
  } finally {
    await inline.close();
    await pooled.close();
  }
});

test('ImageFolder decoding in workers: same batches as inline, bad files skipped and logged', async () => {
  const transforms = {
    train: [randomResizedCrop(8), randomHorizontalFlip(), normalize(IMAGENET_MEAN, IMAGENET_STD)],
    val: [resize(10), centerCrop(8), normalize(IMAGENET_MEAN, IMAGENET_STD)],
  };
  const logs: string[] = [];
  const spec = { kind: 'imagefolder' as const, root: folderRoot, corruptThreshold: 0.5 };
  const inline = await openDataset(spec, { workers: 0, log: () => undefined, cacheDir: null, transforms });
  const pooled = await openDataset(spec, { workers: 2, log: (m) => logs.push(m), cacheDir: null, transforms });
  try {
    const a = await epochOf(inline, 'train', 1, 3, false);
    const b = await epochOf(pooled, 'train', 1, 3, false);
    assert.deepEqual(b, a);
    const idx = b.flatMap((x) => Array.from(x.indexes));
    assert.ok(!idx.includes(1) && !idx.includes(2), 'broken.jpg and fake.jpg never reach a batch');
    assert.ok(logs.some((l) => /broken\.jpg: cannot be decoded/.test(l)), 'logs.some((l) => /broken\\.jpg: cannot be decoded/.test(l))');
  } finally {
    await inline.close();
    await pooled.close();
  }
});

test('a failing task reports its error through the pool', async () => {
  const pool = createBatchExecutor(1);
  try {
    // The transforms do not end in the declared size: the worker must say which file and why.
    pool.register({ id: 999, source: { kind: 'files' }, transforms: [resize(10)], outShape: [8, 8, 3] });
    const path = join(folderRoot, 'train', 'B_upper', 'y.jpg');
    await assert.rejects(pool.run({ pipelineId: 999, indexes: Int32Array.of(0), paths: [path], seed: 0, epoch: 0 }), new RegExp(`y\\.jpg: transformed to 13x10, the split's loader yields 8x8`));
  } finally {
    await pool.close();
  }
  await assert.rejects(pool.run({ pipelineId: 999, indexes: Int32Array.of(0), seed: 0, epoch: 0 }), /closed/);
});

/** An executor whose tasks complete when the test says so, to observe scheduling. */
class ManualExecutor implements BatchExecutor {
  readonly workers = 2;
  readonly submitted: { task: Omit<BatchTask, 'taskId'>; resolve: (o: BatchOutput) => void; aborted: () => boolean }[] = [];
  maxOutstanding = 0;
  /** Once set, tasks complete as soon as they are submitted. */
  auto = false;
  private outstanding = 0;
  private done = new Set<number>();
  register(_p: PipelineSpec): void {}
  run(task: Omit<BatchTask, 'taskId'>, signal?: AbortSignal): Promise<BatchOutput> {
    this.outstanding++;
    this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
    const k = this.submitted.length;
    if (this.auto) queueMicrotask(() => this.complete(k));
    return new Promise((resolve) => {
      this.submitted.push({
        task,
        resolve: (o) => {
          this.outstanding--;
          resolve(o);
        },
        aborted: () => signal?.aborted ?? false,
      });
    });
  }
  complete(k: number): void {
    if (this.done.has(k)) return;
    this.done.add(k);
    const s = this.submitted[k];
    const n = s.task.indexes.length;
    s.resolve({ taskId: k, images: new Float32Array(n), kept: Int32Array.from({ length: n }, (_, i) => i), failures: [] });
  }
  async close(): Promise<void> {}
}

function fakeSplit(size: number): DatasetSplit {
  return { id: 'fake', size, numClasses: 2, classNames: ['a', 'b'], labels: Int32Array.from({ length: size }, (_, i) => i % 2), imageShape: [1, 1, 1] };
}

test('prefetch keeps a bounded window of batches in flight and delivers them in order', async () => {
  const ex = new ManualExecutor();
  const loader = new SplitLoader({ split: fakeSplit(40), executor: ex, pipelineId: 1, schedulable: Int32Array.from({ length: 40 }, (_, i) => i), prefetch: 3 });
  const it = loader.epoch({ epoch: 0, batchSize: 4, shuffle: false, dropLast: false, seed: 0 })[Symbol.asyncIterator]();
  const first = it.next();
  await new Promise((r) => setImmediate(r));
  assert.equal(ex.submitted.length, 3, 'three batches requested before the consumer gets the first');
  ex.complete(2); // out of order completion
  ex.complete(1);
  await new Promise((r) => setImmediate(r));
  assert.equal(ex.submitted.length, 3, 'the window is full until batch 0 is consumed');
  ex.complete(0);
  const b0 = await first;
  assert.deepEqual(Array.from((b0.value as Batch).indexes), [0, 1, 2, 3]);
  // While the consumer holds batch 0, batches 1..3 are already in flight or done: no waiting for 1.
  assert.ok(ex.submitted.length >= 4, 'ex.submitted.length >= 4');
  const b1 = await it.next();
  assert.deepEqual(Array.from((b1.value as Batch).indexes), [4, 5, 6, 7]);
  ex.auto = true;
  for (let k = 0; k < ex.submitted.length; k++) ex.complete(k);
  let count = 2;
  for (;;) {
    const r = await it.next();
    if (r.done) break;
    count++;
  }
  assert.equal(count, 10);
  assert.ok(ex.maxOutstanding <= 3, `max in flight ${ex.maxOutstanding}`);
});

test('aborting or leaving an epoch early stops scheduling and cancels queued work', async () => {
  const ex = new ManualExecutor();
  const loader = new SplitLoader({ split: fakeSplit(100), executor: ex, pipelineId: 1, schedulable: Int32Array.from({ length: 100 }, (_, i) => i), prefetch: 2 });
  const ac = new AbortController();
  const got: number[] = [];
  const run = (async () => {
    for await (const b of loader.epoch({ epoch: 0, batchSize: 10, shuffle: true, dropLast: true, seed: 5 }, ac.signal)) {
      got.push(b.indexes[0]);
      if (got.length === 2) ac.abort();
    }
  })();
  // Complete tasks as they come until the consumer has aborted.
  for (let k = 0; got.length < 2; k++) {
    await waitFor(() => ex.submitted.length > k, `task ${k}`);
    ex.complete(k);
    await new Promise((r) => setImmediate(r));
  }
  await run;
  assert.equal(got.length, 2);
  assert.ok(ex.submitted.length <= 4, `${ex.submitted.length} tasks submitted`);
  assert.ok(ex.submitted.slice(got.length).every((s) => s.aborted()), 'outstanding tasks see the abort');
});

test('resuming mid-epoch yields exactly the remaining batches of the same order', async () => {
  const ds = await openDataset({ kind: 'cifar10', root: cifarRoot }, { workers: 0, log: () => undefined });
  try {
    const full = await epochOf(ds, 'train', 2);
    const rest: Batch[] = [];
    const loader = ds.train as SplitLoader;
    for await (const b of loader.epoch({ epoch: 2, batchSize: 32, shuffle: true, dropLast: true, seed: 11, startBatch: 4 })) rest.push(b);
    assert.deepEqual(rest, full.slice(4));
  } finally {
    await ds.close();
  }
});
