/**
 * `compare.series`: the curves of 2–50 runs for the compare view in one answer, on any x
 * axis (step, epoch, wall time since each run's first metric). Short series come whole;
 * long ones are reduced on the main side to the lowest and highest point of every pixel
 * bucket of one grid shared by all runs (compare-grid.ts), sent as packed float32 values
 * without x (the grid gives every slot's x), so a spike never disappears and 50 runs of a
 * long series cost about a third of a megabyte.
 */
import { z } from 'zod';
import { MetricSeriesSchema, RunIdSchema } from './domain.ts';
import { packedFloat32Length, PackedFloat32Schema } from './packed-float32.ts';

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

/** A key whose runs were reduced to one grid (see compare-grid.ts). */
export const CompareGridSchema = z.object({
  key: z.string(),
  lo: z.number(),
  width: z.number().positive(),
  buckets: z.int().min(1).max(10_000),
});
export type CompareGrid = z.infer<typeof CompareGridSchema>;

export const CompareSeriesResultSchema = z
  .object({
    x: z.enum(COMPARE_X_AXES),
    /** Keys too long to send whole: every run of such a key is reduced on the same grid. */
    grids: z.array(CompareGridSchema),
    runs: z.array(
      z.object({
        runId: RunIdSchema,
        name: z.string(),
        /** Unix ms of the run's first metric: live points' wall x is (wallTime − wallStart) / 1000. */
        wallStart: z.number().nullable(),
        /** Keys sent whole. */
        series: z.array(MetricSeriesSchema),
        /** Keys on a grid: the value of every slot (2 × buckets), NaN where the bucket is empty. */
        gridValues: z.array(z.object({ key: z.string(), values: PackedFloat32Schema })),
      }),
    ),
  })
  .superRefine((r, ctx) => {
    const slots = new Map(r.grids.map((g) => [g.key, 2 * g.buckets]));
    r.runs.forEach((run, i) =>
      run.gridValues.forEach((g, j) => {
        const n = slots.get(g.key);
        if (n === undefined) ctx.addIssue({ code: 'custom', path: ['runs', i, 'gridValues', j, 'key'], message: `no grid for key ${g.key}` });
        else if (g.values.length !== packedFloat32Length(n)) ctx.addIssue({ code: 'custom', path: ['runs', i, 'gridValues', j, 'values'], message: `${g.key}: not ${n} packed values` });
      }),
    );
  });
export type CompareSeriesResult = z.infer<typeof CompareSeriesResultSchema>;
