/**
 * Child-process entry that hosts one job worker in a process of its own, for a job pinned
 * by a variable a native library reads from the C environment when it loads (a CUDA GPU;
 * see core/scheduling/device-pinning.ts). The parent starts it with that environment and
 * sends the worker to start; the host runs it in a worker_thread (the entries stay the
 * same as in-process jobs) and relays messages both ways over IPC, then exits with the
 * worker's exit code. It exits when the parent goes away.
 */
import { Worker } from 'node:worker_threads';
import { HOST_EVENT_KEY, HostStartSchema, hostEventOf, type JobHostEvent } from './job-host-protocol.ts';

if (!process.send) throw new Error('job-host-worker must run as a child process with an IPC channel');

const send = (message: unknown): Promise<void> =>
  new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(message as object, undefined, {}, () => resolve());
  });
const sendEvent = (event: JobHostEvent) => send({ [HOST_EVENT_KEY]: event });

let worker: Worker | null = null;
let pending: Promise<void> = Promise.resolve();

process.on('disconnect', () => process.exit(1));
process.on('message', (raw: unknown) => {
  if (worker) {
    worker.postMessage(raw);
    return;
  }
  let start;
  try {
    start = hostEventOf(raw, HostStartSchema);
  } catch (err) {
    void sendEvent({ kind: 'error', message: `The job host got an invalid start message: ${err instanceof Error ? err.message : String(err)}` }).then(() => process.exit(1));
    return;
  }
  if (!start) return;
  const w = new Worker(new URL(start.entry.href), { workerData: start.workerData, execArgv: start.entry.execArgv, name: start.name });
  worker = w;
  w.on('message', (m: unknown) => {
    pending = pending.then(() => send(m));
  });
  w.on('messageerror', (err) => {
    pending = pending.then(() => sendEvent({ kind: 'messageerror', message: err.message }));
  });
  w.on('error', (err) => {
    pending = pending.then(() => sendEvent({ kind: 'error', message: err.message, ...(err.stack ? { stack: err.stack } : {}) }));
  });
  w.on('exit', (code) => {
    void pending.then(() => process.exit(code));
  });
});
