/**
 * worker_thread entry of a model import: hashes the PyTorch file, reads it with the safe
 * torch reader (nothing in it runs), writes the converted weights and the feature bank into
 * the staging folder and posts what it found (or the reader's error, naming the file and
 * offset). A cancel message stops it at the next chunk.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { describeIssues, issuesOf } from '../../shared/validation.ts';
import { importTorchModel } from '../acquire/torch-model-import.ts';
import { readTorchModel } from '../acquire/torch-model.ts';
import { ToWorkerSchema } from './job-protocol.ts';
import { ModelImportJobSchema, type FromModelImportWorker } from './model-import-protocol.ts';

const port = parentPort;
if (!port) throw new Error('model-import-worker must run inside a worker_thread');
const post = (m: FromModelImportWorker) => port.postMessage(m);

let cancelled = false;
port.on('message', (raw: unknown) => {
  const msg = ToWorkerSchema.safeParse(raw);
  if (msg.success && msg.data.type === 'cancel') cancelled = true;
});

async function main(): Promise<void> {
  const parsed = ModelImportJobSchema.safeParse(workerData);
  if (!parsed.success) {
    post({ type: 'error', message: `Invalid model import job: ${describeIssues(issuesOf(parsed.error))}` });
    return;
  }
  const { path, stagingDir } = parsed.data;
  try {
    const files = await importTorchModel(path, stagingDir, readTorchModel, {
      cancelRequested: () => cancelled,
      progress: (phase, bytes, totalBytes) => post({ type: 'progress', phase, bytes, totalBytes }),
      hashed: (sha256, bytes) => post({ type: 'hashed', sha256, bytes }),
    });
    post(files === 'cancelled' ? { type: 'cancelled' } : { type: 'result', files });
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
}

await main();
port.unref();
