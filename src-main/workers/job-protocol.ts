/**
 * What the main side may send to any job worker_thread (training, evaluation, …): the
 * supervisor (core/jobs/job-supervisor.ts) posts `cancel`; the worker parses it with this
 * schema and stops at its next check, reporting how it ended in its own protocol.
 */
import { z } from 'zod';

export const ToWorkerSchema = z.discriminatedUnion('type', [z.object({ type: z.literal('cancel') })]);
export type ToWorker = z.infer<typeof ToWorkerSchema>;
