/**
 * Comparing 2–4 checkpoints (and imported models) on the same val split, K and sigma: accuracies side by side,
 * McNemar's exact test per pair, per-class accuracy, the confusion pairs that changed most,
 * the val images they disagree on, and (per image) each checkpoint's top-K neighbours.
 */
import { z } from 'zod';
import { DatasetSpecSchema } from './run-config.ts';
import { EvaluationSchema } from './domain.ts';
import { DatasetIdSchema } from './thumbnails.ts';
import { ModelIdSchema } from './models.ts';

/** One side of a comparison: a checkpoint of ours, or an imported model (its weights, and its bank as the train side). */
export const CompareSideSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('checkpoint'), id: z.int().min(1) }).strict(),
  z.object({ kind: z.literal('model'), modelId: ModelIdSchema }).strict(),
]);
export type CompareSide = z.infer<typeof CompareSideSchema>;

/** How messages and keys name a side. */
export function sideKey(side: CompareSide): string {
  return side.kind === 'checkpoint' ? `checkpoint ${side.id}` : `model ${side.modelId}`;
}

export const CompareCheckpointsInputSchema = z
  .object({
    /** 2–4 sides in the order shown. */
    sides: z.array(CompareSideSchema).min(2).max(4).optional(),
    /** Shorthand for sides that are all checkpoints. */
    checkpointIds: z.array(z.int().min(1)).min(2).max(4).optional(),
    k: z.int().min(1).max(1000).default(30),
    /** Default: the first checkpoint's configured sigma (else its temperature; with models only, the first model's temperature), used for all. */
    sigma: z.number().positive().max(100).optional(),
    recomputeMemory: z.boolean().default(false),
    /** Default: the first checkpoint's dataset (with models only, the dataset the first model's train folder belongs to), used for all. */
    dataset: DatasetSpecSchema.optional(),
  })
  .strict()
  .refine((v) => (v.sides === undefined) !== (v.checkpointIds === undefined), { message: 'give either sides or checkpointIds', path: ['sides'] })
  .transform(({ sides, checkpointIds, ...rest }) => ({ ...rest, sides: sides ?? (checkpointIds ?? []).map((id): CompareSide => ({ kind: 'checkpoint', id })) }))
  .refine((v) => new Set(v.sides.map(sideKey)).size === v.sides.length, { message: 'the checkpoints and models must be different', path: ['sides'] });

/** Disagreements listed at most (the total is reported too). */
export const MAX_DISAGREEMENTS = 5000;

export const CheckpointComparisonSchema = z.object({
  samples: z.int(),
  classNames: z.array(z.string()),
  /** McNemar's exact test for each pair (a < b index into the checkpoints). */
  pairs: z.array(z.object({ a: z.int(), b: z.int(), onlyA: z.int(), onlyB: z.int(), pValue: z.number() })),
  perClass: z.array(z.object({ class: z.int(), name: z.string(), count: z.int(), accuracy: z.array(z.number()) })),
  /** Confusion cells (true → predicted, off the diagonal) whose counts differ most between checkpoints. */
  confusionChanges: z.array(z.object({ trueClass: z.int(), predicted: z.int(), counts: z.array(z.int()) })),
  disagreementTotal: z.int(),
  /** Val images whose predictions are not all the same. */
  disagreements: z.array(z.object({ index: z.int(), trueLabel: z.int(), predicted: z.array(z.int()) })),
});
export type CheckpointComparison = z.infer<typeof CheckpointComparisonSchema>;

export const CompareCheckpointsResultSchema = z.object({
  /** True when every evaluation completed with per-sample results. */
  ready: z.boolean(),
  /** Names the dataset's images for thumbnails (shared/thumbnails.ts): val split for the queries, train for the neighbours. */
  datasetId: DatasetIdSchema,
  /** One per side, in the order asked; running ones report through evaluation.changed. */
  evaluations: z.array(EvaluationSchema),
  comparison: CheckpointComparisonSchema.nullable(),
  /** Why there is no comparison yet (a failed evaluation, or one stored without per-sample results). */
  problem: z.string().nullable(),
});
export type CompareCheckpointsResult = z.infer<typeof CompareCheckpointsResultSchema>;

export const CompareNeighboursInputSchema = z
  .object({ evaluationIds: z.array(z.int().min(1)).min(1).max(4), index: z.int().min(0) })
  .strict();

export const NeighbourPanelSchema = z.object({
  evaluationId: z.int(),
  trueLabel: z.int(),
  predicted: z.int(),
  neighbours: z.array(
    z.object({
      trainIndex: z.int(),
      label: z.int(),
      similarity: z.number(),
      /** The neighbour voted for the class that won. */
      votedForWinner: z.boolean(),
    }),
  ),
});
export type NeighbourPanel = z.infer<typeof NeighbourPanelSchema>;
