/**
 * worker_thread entry of an embedding job: reads the EmbedJob from workerData, loads the
 * network (an imported model's weights, or a checkpoint of ours checked against its sha256),
 * selects a backend, embeds the images in order through the reference's val transform and
 * posts them as one Float32Array (or the error, naming the file). A cancel message stops it
 * at the next batch.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { describeIssues, issuesOf } from '../../shared/validation.ts';
import { selectBackend } from '../engine/backend.ts';
import { readCheckpoint } from '../engine/checkpoint/checkpoint-reader.ts';
import { modelStateDict } from '../engine/checkpoint/model-tensors.ts';
import { provideThreadStarter } from '../engine/engine-threads.ts';
import { embedImageFiles, loadImportedNetwork, valTransformOf, type EmbeddingNetwork } from '../engine/eval/image-embedding.ts';
import { EmbedJobSchema, type EmbedJob, type FromEmbedWorker } from './embed-protocol.ts';
import { ToWorkerSchema } from './job-protocol.ts';
import { startWorkerEntryThread } from './worker-entry.ts';

const port = parentPort;
if (!port) throw new Error('embed-worker must run inside a worker_thread');
const post = (m: FromEmbedWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
provideThreadStarter(startWorkerEntryThread);

let cancelled = false;
port.on('message', (raw: unknown) => {
  const msg = ToWorkerSchema.safeParse(raw);
  if (msg.success && msg.data.type === 'cancel') cancelled = true;
});

function loadNetwork(spec: EmbedJob['network']): EmbeddingNetwork {
  if (spec.kind === 'model') return loadImportedNetwork(spec);
  const ckpt = readCheckpoint(spec.path, spec.expectedSha256 ? { expectedSha256: spec.expectedSha256 } : {});
  const { arch, lowDim } = ckpt.header.config;
  return { arch, options: { lowDim }, stateDict: modelStateDict(ckpt.tensors, spec.path) };
}

async function main(): Promise<void> {
  const parsed = EmbedJobSchema.safeParse(workerData);
  if (!parsed.success) {
    post({ type: 'error', message: `Invalid embedding job: ${describeIssues(issuesOf(parsed.error))}` });
    return;
  }
  const job = parsed.data;
  try {
    const network = loadNetwork(job.network);
    const backend = await selectBackend(job.backend ? { prefer: job.backend } : {});
    post({ type: 'started', backend: backend.name, device: backend.device });
    const rows = await embedImageFiles(network, job.images, {
      cancelRequested: () => cancelled,
      progress: (done, total) => post({ type: 'progress', done, total }),
    });
    if (rows === 'cancelled') {
      post({ type: 'cancelled' });
      return;
    }
    const dim = rows[0]!.length;
    const data = new Float32Array(rows.length * dim);
    rows.forEach((r, i) => data.set(r, i * dim));
    post({ type: 'result', arch: network.arch, transform: valTransformOf(network.arch).description, dim, data }, [data.buffer]);
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
}

await main();
// The cancel listener would keep the thread alive after the job: let it end once the
// queued messages are delivered.
port.unref();
