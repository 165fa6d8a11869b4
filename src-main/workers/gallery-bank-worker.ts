/**
 * worker_thread entry of a gallery bank job: reads the GalleryBankJob from workerData,
 * selects a backend, embeds the dataset's splits (engine/eval/gallery-bank.ts) and posts
 * progress and the outcome. A cancel message stops it at the next batch.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { describeIssues, issuesOf } from '../../shared/validation.ts';
import { cifarPythonReader } from '../acquire/cifar-python.ts';
import { selectBackend } from '../engine/backend.ts';
import { provideThreadStarter } from '../engine/engine-threads.ts';
import { computeGalleryBank } from '../engine/eval/gallery-bank.ts';
import { GalleryBankJobSchema, type FromGalleryBankWorker } from './gallery-bank-protocol.ts';
import { ToWorkerSchema } from './job-protocol.ts';
import { startWorkerEntryThread } from './worker-entry.ts';

const port = parentPort;
if (!port) throw new Error('gallery-bank-worker must run inside a worker_thread');
const post = (m: FromGalleryBankWorker) => port.postMessage(m);
provideThreadStarter(startWorkerEntryThread);

let cancelled = false;
port.on('message', (raw: unknown) => {
  const msg = ToWorkerSchema.safeParse(raw);
  if (msg.success && msg.data.type === 'cancel') cancelled = true;
});

async function main(): Promise<void> {
  const parsed = GalleryBankJobSchema.safeParse(workerData);
  if (!parsed.success) {
    post({ type: 'error', message: `Invalid gallery bank job: ${describeIssues(issuesOf(parsed.error))}` });
    return;
  }
  const job = parsed.data;
  try {
    const backend = await selectBackend(job.backend ? { prefer: job.backend } : {});
    post({ type: 'started', backend: backend.name, device: backend.device });
    let last = 0;
    const meta = await computeGalleryBank(
      { source: job.source, dataset: job.dataset, dir: job.dir, readers: { cifarPython: cifarPythonReader }, ...(job.trainBank ? { trainBank: job.trainBank } : {}) },
      {
        progress: (done, total) => {
          // At most ~4 progress messages a second.
          const now = performance.now();
          if (done === total || now - last > 250) {
            last = now;
            post({ type: 'progress', done, total });
          }
        },
        log: (message) => post({ type: 'log', message }),
        cancelRequested: () => cancelled,
      },
    );
    post(meta === 'cancelled' ? { type: 'cancelled' } : { type: 'done', meta });
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
}

await main();
port.unref();
