/**
 * The gallery-bank kind of supervised job: the worker embeds a dataset with one feature
 * source and reports progress and the bank it wrote. No rows are kept; the gallery service
 * publishes progress and records the outcome.
 */
import type { BankMeta } from '../../engine/eval/gallery-bank.ts';
import { FromGalleryBankWorkerSchema, type FromGalleryBankWorker, type GalleryBankJob } from '../../workers/gallery-bank-protocol.ts';
import type { WorkerEntry } from '../../workers/worker-entry.ts';
import type { JobPinning } from '../scheduling/device-pinning.ts';
import { superviseJob, type JobControl, type JobHandle, type JobOutcome, type SupervisorDeps } from '../jobs/job-supervisor.ts';

export interface GalleryBankJobDeps extends SupervisorDeps {
  entry: WorkerEntry;
}

export interface GalleryBankJobHandle extends Omit<JobHandle, 'ended'> {
  readonly ended: Promise<JobOutcome & { meta: BankMeta | null }>;
}

export function startGalleryBankJob(
  deps: GalleryBankJobDeps,
  jobId: string,
  job: GalleryBankJob,
  onProgress: (done: number, total: number) => void,
  pin?: JobPinning,
): GalleryBankJobHandle {
  let meta: BankMeta | null = null;
  const onMessage = (msg: FromGalleryBankWorker, control: JobControl<never>): void => {
    switch (msg.type) {
      case 'started':
      case 'log':
        return;
      case 'progress':
        onProgress(msg.done, msg.total);
        return;
      case 'done':
        meta = msg.meta;
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
    workerNoun: 'gallery bank',
    jobNoun: 'bank computation',
    subject: `gallery bank ${jobId}`,
    entry: deps.entry,
    job,
    messages: FromGalleryBankWorkerSchema,
    onMessage,
    persist: () => {},
    pin,
  });
  return {
    cancel: () => handle.cancel(),
    interrupt: (reason) => handle.interrupt(reason),
    ended: handle.ended.then((outcome) => ({ ...outcome, meta })),
  };
}
