/**
 * The embedding kind of supervised job: the embed worker reports the backend it got and the
 * embeddings of the images (or that it was cancelled, or an error naming the file).
 */
import { FromEmbedWorkerSchema, type EmbedJob, type FromEmbedWorker } from '../../workers/embed-protocol.ts';
import type { WorkerEntry } from '../../workers/worker-entry.ts';
import type { JobPinning } from '../scheduling/device-pinning.ts';
import type { SupervisorDeps } from './job-supervisor.ts';
import { superviseResultJob, type ResultEnd, type ResultJobHandle } from './result-job.ts';

export interface EmbedResult {
  arch: Extract<FromEmbedWorker, { type: 'result' }>['arch'];
  transform: string;
  dim: number;
  /** Row-major, `dim` floats per image. */
  data: Float32Array;
  backend: string;
}

export function startEmbedJob(deps: SupervisorDeps & { entry: WorkerEntry }, subject: string, job: EmbedJob, pin?: JobPinning): ResultJobHandle<EmbedResult> {
  let backend = 'unknown';
  const onMessage = (msg: FromEmbedWorker, end: ResultEnd<EmbedResult>): void => {
    switch (msg.type) {
      case 'started':
        backend = msg.backend;
        return;
      case 'progress':
        return;
      case 'result':
        return end.result({ arch: msg.arch, transform: msg.transform, dim: msg.dim, data: msg.data, backend });
      case 'cancelled':
        return end.cancelled();
      case 'error':
        return end.error(msg.message);
    }
  };
  return superviseResultJob(deps, { workerNoun: 'embedding', jobNoun: 'embedding', subject, entry: deps.entry, job, messages: FromEmbedWorkerSchema, pin }, onMessage);
}
