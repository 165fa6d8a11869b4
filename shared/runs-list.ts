/**
 * The runs list (the landing screen) as the contract carries it: `runs.list` answers one
 * bounded page of runs, newest first, after a keyset cursor; its first page also holds every
 * queued and running run, whatever its age, so the queue can always be shown and reordered.
 */
import { z } from 'zod';
import { RunIdSchema, RunSummarySchema } from './domain.ts';

/** Runs one `runs.list` page holds at most (besides the active runs of the first page). */
export const RUNS_LIST_MAX = 200;

/** Where a page ends: the (createdAt, id) of its last run; the next page starts after it. */
export const RunsListCursorSchema = z.object({ createdAt: z.string().min(1).max(64), id: RunIdSchema }).strict();
export type RunsListCursor = z.infer<typeof RunsListCursorSchema>;

export const RunsListInputSchema = z
  .object({
    limit: z.int().min(1).max(RUNS_LIST_MAX).default(RUNS_LIST_MAX),
    /** Runs older than this one (by createdAt, then id); absent for the first page. */
    before: RunsListCursorSchema.optional(),
  })
  .strict();
export type RunsListInput = z.input<typeof RunsListInputSchema>;

/** Newest first, as runs.list answers; ties broken by id so the order is stable. */
export function compareRunsNewestFirst(a: { createdAt: string; id: string }, b: { createdAt: string; id: string }): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

export const RunsListResultSchema = z.object({
  /** The page, newest first; the first page also has every queued and running run. */
  runs: z.array(RunSummarySchema),
  /** All stored runs. */
  total: z.int().min(0),
  /** The cursor of the following page; null when this page reaches the oldest run. */
  next: RunsListCursorSchema.nullable(),
});
export type RunsListResult = z.infer<typeof RunsListResultSchema>;
