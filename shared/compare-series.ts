/**
 * `compare.series`: the curves of 2–50 runs for the compare view in one answer, on any x
 * axis (step, epoch, wall time since each run's first metric). Short series come whole;
 * long ones are reduced on the main side to the lowest and highest point of every pixel
 * bucket of one grid shared by all runs, so the page joins at most two x values per bucket
 * and a spike never disappears.
 */
import { z } from 'zod';
import { MetricSeriesSchema, RunIdSchema } from './domain.ts';

export const COMPARE_X_AXES = ['step', 'epoch', 'wall'] as const;
export type CompareXAxis = (typeof COMPARE_X_AXES)[number];

export const MAX_COMPARE_SERIES_RUNS = 50;

export const CompareSeriesInputSchema = z
  .object({
    runIds: z.array(RunIdSchema).min(1).max(MAX_COMPARE_SERIES_RUNS),
    keys: z.array(z.string().min(1).max(64)).max(32).optional(),
    x: z.enum(COMPARE_X_AXES).default('step'),
    /** Points per run and key at most: about twice the chart's width in pixels. */
    maxPoints: z.int().min(4).max(20000).default(2000),
  })
  .strict();

export const CompareSeriesResultSchema = z.object({
  x: z.enum(COMPARE_X_AXES),
  /** Keys whose runs were reduced to a shared grid (their x values are bucket positions). */
  gridKeys: z.array(z.string()),
  runs: z.array(
    z.object({
      runId: RunIdSchema,
      /** Unix ms of the run's first metric: live points' wall x is (wallTime − wallStart) / 1000. */
      wallStart: z.number().nullable(),
      series: z.array(MetricSeriesSchema),
    }),
  ),
});
export type CompareSeriesResult = z.infer<typeof CompareSeriesResultSchema>;
