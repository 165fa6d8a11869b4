/**
 * worker_thread entry of a checkpoint evaluation: reads the EvaluateJob from workerData,
 * selects a backend, runs evaluateCheckpoint and posts the result (or the error, whose
 * message names the checkpoint path, e.g. on a sha256 mismatch). A cancel message stops it
 * at the next batch.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { describeIssues, issuesOf } from '../../shared/validation.ts';
import { selectBackend } from '../engine/backend.ts';
import { cifarPythonReader } from '../acquire/cifar-python.ts';
import { provideThreadStarter } from '../engine/engine-threads.ts';
import { evaluateCheckpoint } from '../engine/eval/checkpoint-evaluation.ts';
import { startWorkerEntryThread } from './worker-entry.ts';
import { EvaluateJobSchema, type FromEvaluateWorker } from './evaluate-protocol.ts';
import { ToWorkerSchema } from './job-protocol.ts';

const port = parentPort;
if (!port) throw new Error('evaluate-worker must run inside a worker_thread');
const post = (m: FromEvaluateWorker) => port.postMessage(m);
provideThreadStarter(startWorkerEntryThread);

let cancelled = false;
port.on('message', (raw: unknown) => {
  const msg = ToWorkerSchema.safeParse(raw);
  if (!msg.success) {
    post({ type: 'log', message: `Ignored an unknown message to the worker: ${describeIssues(issuesOf(msg.error))}` });
    return;
  }
  if (msg.data.type === 'cancel') cancelled = true;
});

async function main(): Promise<void> {
  const parsed = EvaluateJobSchema.safeParse(workerData);
  if (!parsed.success) {
    post({ type: 'error', message: `Invalid evaluation job: ${describeIssues(issuesOf(parsed.error))}` });
    return;
  }
  const job = parsed.data;
  try {
    const backend = await selectBackend(job.backend ? { prefer: job.backend } : {});
    post({ type: 'started', backend: backend.name, device: backend.device });
    const result = await evaluateCheckpoint(
      { ...job, readers: { cifarPython: cifarPythonReader } },
      { log: (message) => post({ type: 'log', message }), cancelRequested: () => cancelled, progress: (p) => post({ type: 'progress', ...p }) },
    );
    post(result === 'cancelled' ? { type: 'cancelled' } : { type: 'result', result });
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
}

await main();
// The cancel listener would keep the thread alive after the job: let it end once the
// queued messages are delivered.
port.unref();
