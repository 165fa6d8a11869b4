/**
 * The headless job a cluster node runs (`snca cluster-job RUN_DIR`): the same trainer as a
 * local run, with the run's stored config from RUN_DIR/job.json, reporting into the
 * append-only event log RUN_DIR/events.jsonl instead of a worker port. Checkpoints land in
 * RUN_DIR/checkpoints as for a local run. No database is opened on the node.
 *
 * Events are buffered and appended once a second, and at once for checkpoints and the end,
 * so the log is cheap to write and to read back. SIGTERM (scancel, or Slurm's time limit)
 * stops training at the next iteration without a `done` event: the run's final state then
 * comes from Slurm (cancelled or interrupted), and its last checkpoint is what resumes it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { describeIssues, issuesOf } from '../../shared/validation.ts';
import { cifarPythonReader } from '../acquire/cifar-python.ts';
import { provideThreadStarter } from '../engine/engine-threads.ts';
import { runTraining } from '../engine/train/trainer.ts';
import { describeEngineFailure } from '../engine/train/engine-failure.ts';
import { TrainJobSchema, type FromWorker } from '../workers/train-protocol.ts';
import { startWorkerEntryThread } from '../workers/worker-entry.ts';
import { EventLogWriter, parseEventLogChunk } from './event-log.ts';

export const CLUSTER_JOB_FILE = 'job.json';
export const EVENT_LOG_FILE = 'events.jsonl';

/** What the app writes into the run folder before submitting: a training job without its folder. */
export const ClusterJobFileSchema = TrainJobSchema.omit({ runDir: true });
export type ClusterJobFile = z.infer<typeof ClusterJobFileSchema>;

const FLUSH_MS = 1000;
const MAX_JOB_FILE_BYTES = 1 << 20;

export class ClusterJobError extends Error {}

export function readClusterJobFile(runDir: string): ClusterJobFile {
  return readJobJson(join(runDir, CLUSTER_JOB_FILE), ClusterJobFileSchema);
}

/** A job file the app wrote into a folder on the shared filesystem, bounded and validated. */
export function readJobJson<T>(path: string, schema: z.ZodType<T>): T {
  if (!existsSync(path)) throw new ClusterJobError(`${path}: no job file (the app writes it before submitting)`);
  const text = readFileSync(path);
  if (text.length > MAX_JOB_FILE_BYTES) throw new ClusterJobError(`${path}: ${text.length} bytes is larger than a job file can be`);
  let json: unknown;
  try {
    json = JSON.parse(text.toString('utf8'));
  } catch (err) {
    throw new ClusterJobError(`${path}: not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new ClusterJobError(`${path}: ${describeIssues(issuesOf(parsed.error))}`);
  return parsed.data;
}

/** The seq after the last complete line of an existing log: a resumed job continues the numbering. */
function nextSeqOf(path: string): number {
  if (!existsSync(path)) return 0;
  const { lines } = parseEventLogChunk(new Uint8Array(readFileSync(path)), 0, path);
  return lines.length === 0 ? 0 : lines[lines.length - 1]!.seq + 1;
}

export interface ClusterJobOptions {
  /** Set when the job should stop (SIGTERM). */
  stopRequested?: () => boolean;
}

/** Runs the job; resolves to the process exit code (0 completed or stopped, 1 failed). */
export async function runClusterJob(runDir: string, options: ClusterJobOptions = {}): Promise<number> {
  const job = readClusterJobFile(runDir);
  // The engine runs on this process's main thread here, as it does in a local job's worker.
  provideThreadStarter(startWorkerEntryThread);
  const logPath = join(runDir, EVENT_LOG_FILE);
  const writer = new EventLogWriter(logPath, nextSeqOf(logPath));
  let pending: FromWorker[] = [];
  const flush = () => {
    const out = pending;
    pending = [];
    writer.append(out);
  };
  const timer = setInterval(flush, FLUSH_MS);
  const post = (event: FromWorker, now = false) => {
    pending.push(event);
    if (now) flush();
  };
  const stopRequested = options.stopRequested ?? (() => false);
  try {
    const status = await runTraining(
      {
        config: job.config,
        runDir,
        readers: { cifarPython: cifarPythonReader },
        ...(job.backend ? { backend: job.backend } : {}),
        ...(job.resumeFrom ? { resumeFrom: job.resumeFrom } : {}),
      },
      {
        started: (info) => post({ type: 'started', backend: info.name, device: info.device, detail: info.detail }, true),
        progress: (progress) => post({ type: 'progress', progress }),
        metrics: (points) => points.length > 0 && post({ type: 'metrics', points }),
        log: (level, message) => post({ type: 'log', level, message }),
        checkpoint: (c) => post({ type: 'checkpoint', checkpoint: c }, true),
        cancelRequested: stopRequested,
      },
    );
    if (status === 'cancelled') {
      post({ type: 'log', level: 'warn', message: 'Stopped by SIGTERM (scancel or the time limit) after the last checkpoint.' }, true);
    } else {
      post({ type: 'done', status }, true);
    }
    return 0;
  } catch (err) {
    const message = describeEngineFailure(err, job.config.batchSize);
    const detail = err instanceof Error ? err.stack : undefined;
    post(detail ? { type: 'error', message, detail } : { type: 'error', message }, true);
    return 1;
  } finally {
    clearInterval(timer);
    flush();
  }
}
