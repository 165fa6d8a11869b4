/**
 * The evaluation kind of supervised job: the evaluation worker reports the backend it got
 * and one result (or that it was cancelled, or an error). It keeps no rows; the result is
 * handed to the evaluations service with the outcome, which records both.
 */
import type { EvaluationResult } from '../../store/evaluations-repository.ts';
import { FromEvaluateWorkerSchema, type EvaluateJob, type FromEvaluateWorker } from '../../workers/evaluate-protocol.ts';
import type { WorkerEntry } from '../../workers/worker-entry.ts';
import type { JobPinning } from '../scheduling/device-pinning.ts';
import { superviseJob, type JobControl, type JobHandle, type JobOutcome, type SupervisorDeps } from './job-supervisor.ts';

export interface EvaluationJobDeps extends SupervisorDeps {
  entry: WorkerEntry;
}

export type EvaluationOutcome = { status: 'completed'; result: EvaluationResult } | (JobOutcome & { status: Exclude<JobOutcome['status'], 'completed'> });

export interface EvaluationJobHandle extends Omit<JobHandle, 'ended'> {
  readonly ended: Promise<EvaluationOutcome>;
}

export function startEvaluationJob(deps: EvaluationJobDeps, id: number, job: EvaluateJob, pin?: JobPinning): EvaluationJobHandle {
  let backend = 'unknown';
  let result: EvaluationResult | null = null;
  const onMessage = (msg: FromEvaluateWorker, control: JobControl<never>): void => {
    switch (msg.type) {
      case 'started':
        backend = msg.backend;
        return;
      case 'log':
        return;
      case 'result':
        result ??= { ...msg.result, backend };
        control.report({ status: 'completed' });
        return;
      case 'cancelled':
        control.report({ status: 'cancelled' });
        return;
      case 'error':
        control.report({ error: msg.message });
        return;
    }
  };
  const handle = superviseJob(deps, {
    workerNoun: 'evaluation',
    jobNoun: 'evaluation',
    subject: `evaluation ${id}`,
    entry: deps.entry,
    job,
    messages: FromEvaluateWorkerSchema,
    onMessage,
    persist: () => {},
    pin,
  });
  return {
    cancel: () => handle.cancel(),
    interrupt: (reason) => handle.interrupt(reason),
    ended: handle.ended.then((outcome): EvaluationOutcome => {
      if (outcome.status !== 'completed') return { ...outcome, status: outcome.status };
      return result ? { status: 'completed', result } : { status: 'failed', error: 'The evaluation worker reported completion without a result.' };
    }),
  };
}
