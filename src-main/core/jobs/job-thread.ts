/**
 * Where a supervised job's worker runs: a worker_thread of this process (the default, and
 * a webgpu-pinned job, whose pin is a JavaScript-visible variable), or a worker_thread
 * inside a child process of its own when its pin must be in the C environment before a
 * native library loads (CUDA_VISIBLE_DEVICES; see scheduling/device-pinning.ts). Both look
 * the same to the supervisor: messages in and out, `error` and `exit` events, terminate().
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { HOST_EVENT_KEY, hostEventOf, JobHostEventSchema, type HostStart } from '../../workers/job-host-protocol.ts';
import { resolveWorkerEntry, type WorkerEntry } from '../../workers/worker-entry.ts';
import type { JobPinning } from '../scheduling/device-pinning.ts';

export interface JobThread {
  postMessage(message: unknown): void;
  terminate(): Promise<unknown>;
  on(event: 'message', listener: (message: unknown) => void): this;
  on(event: 'messageerror', listener: (err: Error) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'exit', listener: (code: number) => void): this;
}

export interface JobThreadOptions {
  workerData: unknown;
  name: string;
  pin?: JobPinning | undefined;
}

export function startJobThread(entry: WorkerEntry, options: JobThreadOptions): JobThread {
  const { pin } = options;
  if (pin?.ownProcess) return new ChildProcessJobThread(entry, options, pin);
  return new Worker(entry.url, {
    workerData: options.workerData,
    execArgv: entry.execArgv,
    name: options.name,
    ...(pin ? { env: { ...process.env, ...pin.env } } : {}),
  });
}

/** A worker_thread in a child process (workers/job-host-worker.ts relays its messages over IPC). */
class ChildProcessJobThread extends EventEmitter implements JobThread {
  private readonly child: ChildProcess;
  private exited = false;

  constructor(entry: WorkerEntry, options: JobThreadOptions, pin: JobPinning) {
    super();
    const host = resolveWorkerEntry('job-host-worker');
    const file = host.file;
    if (!file) throw new Error('the job host has no file to start a process from');
    const env: NodeJS.ProcessEnv = { ...process.env, ...pin.env };
    // In the packaged app process.execPath is Electron: run it as plain Node.
    if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
    this.child = fork(file, [], {
      env,
      execArgv: file.endsWith('.ts') ? ['--import', 'tsx'] : [],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (raw: unknown) => this.onChildMessage(raw));
    this.child.on('error', (err) => this.emit('error', err));
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      this.emit('exit', code ?? (signal ? 1 : 0));
    });
    const start: HostStart = { entry: { href: entry.url.href, execArgv: entry.execArgv }, workerData: options.workerData, name: options.name };
    this.child.send({ [HOST_EVENT_KEY]: start });
  }

  postMessage(message: unknown): void {
    if (this.exited || !this.child.connected) throw new Error('the job process has ended');
    this.child.send(message as object);
  }

  terminate(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGKILL');
    });
  }

  private onChildMessage(raw: unknown): void {
    let event;
    try {
      event = hostEventOf(raw, JobHostEventSchema);
    } catch (err) {
      this.emit('messageerror', new Error(`the job host sent a malformed event: ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    if (!event) this.emit('message', raw);
    else if (event.kind === 'error') this.emit('error', Object.assign(new Error(event.message), event.stack ? { stack: event.stack } : {}));
    else this.emit('messageerror', new Error(event.message));
  }
}
