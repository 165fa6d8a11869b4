/**
 * Supervised jobs that end with one result and keep no rows (an evaluation, a model import,
 * an embedding): the kind's message handler ends the job with a result, a cancel or an error,
 * and `ended` resolves with the result alongside the outcome.
 */
import { superviseJob, type JobHandle, type JobKind, type JobOutcome, type SupervisorDeps } from './job-supervisor.ts';

export type ResultOutcome<R> = { status: 'completed'; result: R } | (JobOutcome & { status: Exclude<JobOutcome['status'], 'completed'> });

export interface ResultJobHandle<R> extends Omit<JobHandle, 'ended'> {
  readonly ended: Promise<ResultOutcome<R>>;
}

/** How a message handler ends the job (the first end counts). */
export interface ResultEnd<R> {
  result(value: R): void;
  cancelled(): void;
  error(message: string): void;
}

export type ResultJobKind<Message extends { type: string }> = Omit<JobKind<Message, never>, 'onMessage' | 'persist' | 'noteRow'>;

export function superviseResultJob<Message extends { type: string }, R>(
  deps: SupervisorDeps,
  kind: ResultJobKind<Message>,
  onMessage: (message: Message, end: ResultEnd<R>) => void,
): ResultJobHandle<R> {
  let result: { value: R } | null = null;
  const handle = superviseJob<Message, never>(deps, {
    ...kind,
    onMessage: (message, control) =>
      onMessage(message, {
        result: (value) => {
          result ??= { value };
          control.report({ status: 'completed' });
        },
        cancelled: () => control.report({ status: 'cancelled' }),
        error: (m) => control.report({ error: m }),
      }),
    persist: () => {},
  });
  return {
    cancel: () => handle.cancel(),
    interrupt: (reason) => handle.interrupt(reason),
    ended: handle.ended.then((outcome): ResultOutcome<R> => {
      if (outcome.status !== 'completed') return { ...outcome, status: outcome.status };
      return result
        ? { status: 'completed', result: result.value }
        : { status: 'failed', error: `The ${kind.workerNoun} worker reported completion without a result.` };
    }),
  };
}
