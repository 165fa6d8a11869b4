/**
 * worker_thread entry of a checkpoint evaluation: reads the EvaluateJob from workerData,
 * selects a backend, runs evaluateCheckpoint and posts the result (or the error, whose
 * message names the checkpoint path, e.g. on a sha256 mismatch).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { describeIssues, issuesOf } from '../../shared/validation.ts';
import { selectBackend } from '../engine/backend.ts';
import { cifarPythonReader } from '../acquire/cifar-python.ts';
import { provideThreadStarter } from '../engine/engine-threads.ts';
import { evaluateCheckpoint } from '../engine/eval/checkpoint-evaluation.ts';
import { startWorkerEntryThread } from './worker-entry.ts';
import { EvaluateJobSchema, type FromEvaluateWorker } from './evaluate-protocol.ts';

const port = parentPort;
if (!port) throw new Error('evaluate-worker must run inside a worker_thread');
const post = (m: FromEvaluateWorker) => port.postMessage(m);
provideThreadStarter(startWorkerEntryThread);

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
    const result = await evaluateCheckpoint({ ...job, readers: { cifarPython: cifarPythonReader } }, { log: (message) => post({ type: 'log', message }), cancelRequested: () => false });
    if (result === 'cancelled') post({ type: 'error', message: 'The evaluation was cancelled.' });
    else post({ type: 'result', result });
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
}

await main();
