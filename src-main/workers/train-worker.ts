/**
 * worker_thread entry of a training job: reads the TrainJob from workerData, runs the
 * trainer, and reports through FromWorker messages. Everything it posts is plain data.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ToWorkerSchema } from './job-protocol.ts';
import { TrainJobSchema, type FromWorker } from './train-protocol.ts';
import { runTraining } from '../engine/train/trainer.ts';
import { describeEngineFailure } from '../engine/train/engine-failure.ts';
import { provideThreadStarter } from '../engine/engine-threads.ts';
import { cifarPythonReader } from '../acquire/cifar-python.ts';
import { startWorkerEntryThread } from './worker-entry.ts';
import { describeIssues, issuesOf } from '../../shared/validation.ts';

const port = parentPort;
if (!port) throw new Error('train-worker must run inside a worker_thread');
provideThreadStarter(startWorkerEntryThread);

function post(message: FromWorker): void {
  port!.postMessage(message);
}

let cancelled = false;
port.on('message', (raw: unknown) => {
  const msg = ToWorkerSchema.safeParse(raw);
  if (!msg.success) {
    post({ type: 'log', level: 'warn', message: `Ignored an unknown message to the worker: ${describeIssues(issuesOf(msg.error))}` });
    return;
  }
  if (msg.data.type === 'cancel') cancelled = true;
});

async function main(): Promise<void> {
  const parsed = TrainJobSchema.safeParse(workerData);
  if (!parsed.success) {
    post({ type: 'error', message: `Invalid training job: ${describeIssues(issuesOf(parsed.error))}` });
    return;
  }
  const job = parsed.data;
  try {
    const status = await runTraining(
      {
        config: job.config,
        runDir: job.runDir,
        readers: { cifarPython: cifarPythonReader },
        ...(job.backend ? { backend: job.backend } : {}),
        ...(job.resumeFrom ? { resumeFrom: job.resumeFrom } : {}),
      },
      {
        started: (info) => post({ type: 'started', backend: info.name, device: info.device, detail: info.detail }),
        progress: (progress) => post({ type: 'progress', progress }),
        metrics: (points) => {
          if (points.length > 0) post({ type: 'metrics', points });
        },
        log: (level, message) => post({ type: 'log', level, message }),
        checkpoint: (c) => post({ type: 'checkpoint', checkpoint: c }),
        cancelRequested: () => cancelled,
      },
    );
    post({ type: 'done', status });
  } catch (err) {
    const message = describeEngineFailure(err, job.config.batchSize);
    const detail = err instanceof Error ? err.stack : undefined;
    post(detail ? { type: 'error', message, detail } : { type: 'error', message });
  }
}

await main();
// The cancel listener would keep the thread alive after the job (the runner then waits its
// exit grace and terminates it): let it end as soon as the queued messages are delivered.
port.unref();
