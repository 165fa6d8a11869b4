/**
 * Requests to the gallery's search worker_thread and its answers, parsed on both sides.
 * The worker keeps the banks it was asked about resident (engine/eval/bank-search.ts), so
 * a search after the first costs one pass over the bank's int8 codes, not a load.
 */
import { z } from 'zod';
import { DATASET_KINDS } from '../../shared/run-config.ts';
import { GalleryBankJobSchema } from './gallery-bank-protocol.ts';

const floats = z.custom<Float32Array>((v) => v instanceof Float32Array, { message: 'expected a Float32Array' });
const ints = z.custom<Int32Array>((v) => v instanceof Int32Array, { message: 'expected an Int32Array' });

export const ToSearchWorkerSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('search'),
    id: z.int(),
    /** The bank's float32 file and its shape. */
    file: z.string(),
    rows: z.int().min(0),
    dim: z.int().min(1),
    /** Queries, row-major [q, dim]. */
    queries: floats,
    k: z.int().min(1),
  }),
  /** Features of an image from outside the dataset, as the source embeds the dataset's images. */
  z.object({
    type: z.literal('embed'),
    id: z.int(),
    source: GalleryBankJobSchema.shape.source,
    datasetKind: z.enum(DATASET_KINDS),
    image: z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message: 'expected a Uint8Array' }),
    name: z.string(),
  }),
  /** Drop a resident bank (its file is being replaced or deleted). */
  z.object({ type: z.literal('evict'), file: z.string() }),
]);
export type ToSearchWorker = z.infer<typeof ToSearchWorkerSchema>;

export const FromSearchWorkerSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('result'),
    id: z.int(),
    lists: z.array(z.object({ rows: ints, similarities: floats })),
  }),
  z.object({ type: z.literal('vector'), id: z.int(), vector: floats }),
  z.object({ type: z.literal('error'), id: z.int(), message: z.string() }),
]);
export type FromSearchWorker = z.infer<typeof FromSearchWorkerSchema>;
