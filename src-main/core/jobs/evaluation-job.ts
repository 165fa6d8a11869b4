/**
 * The evaluation kind of supervised job: the evaluation worker reports the backend it got
 * and one result (or that it was cancelled, or an error). It keeps no rows; the result is
 * handed to the evaluations service with the outcome, which records both.
 */
import type { EvaluationResult } from '../../store/evaluations-repository.ts';
import { FromEvaluateWorkerSchema, type EvaluateJob, type FromEvaluateWorker } from '../../workers/evaluate-protocol.ts';
import type { WorkerEntry } from '../../workers/worker-entry.ts';
import type { JobPinning } from '../scheduling/device-pinning.ts';
import type { SupervisorDeps } from './job-supervisor.ts';
import { superviseResultJob, type ResultEnd, type ResultJobHandle, type ResultOutcome } from './result-job.ts';

export interface EvaluationJobDeps extends SupervisorDeps {
  entry: WorkerEntry;
}

export type EvaluationOutcome = ResultOutcome<EvaluationResult>;
export type EvaluationJobHandle = ResultJobHandle<EvaluationResult>;

/** How far the worker is: images of a split embedded so far. */
export type EvaluationProgress = Extract<FromEvaluateWorker, { type: 'progress' }>;

export function startEvaluationJob(
  deps: EvaluationJobDeps,
  id: number,
  job: EvaluateJob,
  pin?: JobPinning,
  onProgress: (p: EvaluationProgress) => void = () => {},
): EvaluationJobHandle {
  let backend = 'unknown';
  const onMessage = (msg: FromEvaluateWorker, end: ResultEnd<EvaluationResult>): void => {
    switch (msg.type) {
      case 'started':
        backend = msg.backend;
        return;
      case 'log':
        return;
      case 'progress':
        return onProgress(msg);
      case 'result':
        return end.result({ ...msg.result, backend });
      case 'cancelled':
        return end.cancelled();
      case 'error':
        return end.error(msg.message);
    }
  };
  return superviseResultJob(
    deps,
    { workerNoun: 'evaluation', jobNoun: 'evaluation', subject: `evaluation ${id}`, entry: deps.entry, job, messages: FromEvaluateWorkerSchema, pin },
    onMessage,
  );
}
