/**
 * The model-import kind of supervised job: the worker's progress, the file's sha256 as soon
 * as it is known, and its result (the files it staged and what the PyTorch file holds). The
 * models service records the model, or deletes the staging folder, once the job has ended.
 */
import type { z } from 'zod';
import {
  FromModelImportWorkerSchema,
  type FromModelImportWorker,
  type ImportedModelFilesSchema,
  type ModelImportWorkerJob,
} from '../../workers/model-import-protocol.ts';
import type { WorkerEntry } from '../../workers/worker-entry.ts';
import type { SupervisorDeps } from './job-supervisor.ts';
import { superviseResultJob, type ResultEnd, type ResultJobHandle } from './result-job.ts';

export type ImportedFiles = z.infer<typeof ImportedModelFilesSchema>;

export interface ModelImportListener {
  progress(phase: 'hash' | 'read' | 'copy', bytes: number, totalBytes: number): void;
  hashed(sha256: string): void;
}

export function startModelImportJob(
  deps: SupervisorDeps & { entry: WorkerEntry },
  subject: string,
  job: ModelImportWorkerJob,
  listener: ModelImportListener,
): ResultJobHandle<ImportedFiles> {
  const onMessage = (msg: FromModelImportWorker, end: ResultEnd<ImportedFiles>): void => {
    switch (msg.type) {
      case 'progress':
        return listener.progress(msg.phase, msg.bytes, msg.totalBytes);
      case 'hashed':
        return listener.hashed(msg.sha256);
      case 'result':
        return end.result(msg.files);
      case 'cancelled':
        return end.cancelled();
      case 'error':
        return end.error(msg.message);
    }
  };
  return superviseResultJob(deps, { workerNoun: 'model import', jobNoun: 'import', subject, entry: deps.entry, job, messages: FromModelImportWorkerSchema }, onMessage);
}
