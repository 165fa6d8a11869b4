/**
 * The runs table as the contract carries it: `runs.query` takes a query in the runs query
 * language (run-query.ts), a sort and the chosen columns (field names of
 * run-query-fields.ts) and answers one page of runs with a value per column.
 */
import { z } from 'zod';
import { RunSummarySchema } from './domain.ts';

const FieldNameSchema = z.string().min(1).max(80);

export const RunsQueryInputSchema = z
  .object({
    /** Runs query language; empty matches every run. */
    where: z.string().max(4000).default(''),
    sort: z.array(z.object({ field: FieldNameSchema, descending: z.boolean().default(false) }).strict()).max(4).default([]),
    /** Extra columns: run columns, config paths, or metrics as best.K, last.K, best_epoch.K. */
    columns: z.array(FieldNameSchema).max(64).default([]),
    offset: z.int().min(0).default(0),
    limit: z.int().min(1).max(5000).default(200),
  })
  .strict();
export type RunsQueryInput = z.input<typeof RunsQueryInputSchema>;

export const CellValueSchema = z.union([z.string(), z.number(), z.null()]);
export type CellValue = z.infer<typeof CellValueSchema>;

/** Runs `runs.values` answers at most: every run of a sweep the hyperparameter view draws. */
export const MAX_VALUE_RUNS = 5000;

/**
 * `runs.values`: the chosen columns of every run a query matches (newest first), without
 * run summaries: what the hyperparameter view draws as lines and points.
 */
export const RunsValuesInputSchema = z
  .object({
    where: z.string().max(4000).default(''),
    /** Always answered. */
    columns: z.array(FieldNameSchema).max(64).default([]),
    /** Answered only when their values are not the same for every matching run (the axes of a sweep). */
    ifVarying: z.array(FieldNameSchema).max(64).default([]),
    limit: z.int().min(1).max(MAX_VALUE_RUNS).default(MAX_VALUE_RUNS),
  })
  .strict();
export type RunsValuesInput = z.input<typeof RunsValuesInputSchema>;

export const RunsValuesResultSchema = z.object({
  /** Runs matching `where` (may exceed the runs answered). */
  total: z.int(),
  /** Canonical names of the answered columns: every one of `columns`, then the varying ones of `ifVarying`. */
  columns: z.array(z.string()),
  /** One value per answered column. */
  runs: z.array(z.object({ id: z.string(), name: z.string(), values: z.array(CellValueSchema) })),
});
export type RunsValuesResult = z.infer<typeof RunsValuesResultSchema>;

export const RunsQueryResultSchema = z.object({
  /** Runs matching `where` (all pages). */
  total: z.int(),
  /** Canonical names of the requested columns, in order. */
  columns: z.array(z.string()),
  rows: z.array(z.object({ run: RunSummarySchema, values: z.array(CellValueSchema) })),
});
export type RunsQueryResult = z.infer<typeof RunsQueryResultSchema>;
