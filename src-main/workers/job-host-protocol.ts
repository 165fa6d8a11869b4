/**
 * What a job's parent and the job host process (job-host-worker.ts) tell each other beside
 * the job's own messages, which pass through unchanged. Host messages are objects with the
 * single key HOST_EVENT_KEY, which no job message uses.
 */
import { z } from 'zod';

export const HOST_EVENT_KEY = '__sncaJobHost';

/** Parent → host, first message: the worker to start and its job. */
export const HostStartSchema = z.object({
  entry: z.object({ href: z.string().min(1), execArgv: z.array(z.string()) }),
  workerData: z.unknown(),
  name: z.string(),
});
export type HostStart = z.infer<typeof HostStartSchema>;

/** Host → parent: what the worker_thread's events were. */
export const JobHostEventSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('error'), message: z.string(), stack: z.string().optional() }),
  z.object({ kind: z.literal('messageerror'), message: z.string() }),
]);
export type JobHostEvent = z.infer<typeof JobHostEventSchema>;

/** The host event a message carries, null for a job message; throws on a malformed host event. */
export function hostEventOf<S extends z.ZodType>(raw: unknown, schema: S): z.infer<S> | null {
  if (raw === null || typeof raw !== 'object' || !(HOST_EVENT_KEY in raw)) return null;
  return schema.parse((raw as Record<string, unknown>)[HOST_EVENT_KEY]);
}
