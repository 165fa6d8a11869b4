/**
 * Nearest-neighbour galleries: a query image, and for each feature source its top-k most
 * similar train images of a dataset (the bank), ranked by similarity.
 * Bank row i is the i-th train image in the dataset's canonical order (ImageFolder: sorted
 * class folders, sorted files, as torchvision's ImageFolder).
 */
import { z } from 'zod';
import { DatasetSpecSchema } from './run-config.ts';
import { ModelIdSchema } from './models.ts';
import { DatasetIdSchema } from './thumbnails.ts';

/** What retrievals are computed with. */
export const GallerySourceSchema = z.discriminatedUnion('kind', [
  /** A checkpoint of one of our runs: its model embeds the dataset. */
  z.object({ kind: z.literal('checkpoint'), checkpointId: z.int().min(1) }).strict(),
  /** The raw-image baseline: the normalised pixels pooled to at most 16 px a side, L2-normalised. */
  z.object({ kind: z.literal('raw') }).strict(),
  /** An imported model (models.*): its imported bank, its weights embed queries. */
  z.object({ kind: z.literal('model'), modelId: ModelIdSchema }).strict(),
]);
export type GallerySource = z.infer<typeof GallerySourceSchema>;

export const GallerySplitSchema = z.enum(['train', 'val']);
export type GallerySplit = z.infer<typeof GallerySplitSchema>;

/** Largest encoded query image accepted (base64 characters, about 12 MB of image). */
export const MAX_QUERY_IMAGE_BASE64 = 16 * 1024 * 1024;

/** A query image of the dataset's train or val split. */
export const GallerySplitQuerySchema = z.object({ split: GallerySplitSchema, index: z.int().min(0) }).strict();
/** A query image from outside the dataset: a file picked or dropped in, its bytes base64-encoded. */
export const GalleryImageQuerySchema = z
  .object({ image: z.object({ name: z.string().min(1).max(255), base64: z.string().min(1).max(MAX_QUERY_IMAGE_BASE64) }).strict() })
  .strict();
/**
 * A query image from outside the dataset given as a file on the core's machine: a file
 * dropped or chosen in the desktop window (its own path), or sent by the page in serve mode
 * (shared/uploads.ts: the stored upload's path). `name` is the file's name as the user knows it.
 */
export const GalleryFileQuerySchema = z
  .object({ file: z.object({ path: z.string().min(1).max(4096), name: z.string().min(1).max(255) }).strict() })
  .strict();
export const GalleryQuerySchema = z.union([GallerySplitQuerySchema, GalleryImageQuerySchema, GalleryFileQuerySchema]);
export type GalleryQuery = z.infer<typeof GalleryQuerySchema>;
export type GallerySplitQuery = z.infer<typeof GallerySplitQuerySchema>;
export type GalleryOutsideQuery = Exclude<GalleryQuery, GallerySplitQuery>;

export function isSplitQuery(q: GalleryQuery): q is GallerySplitQuery {
  return 'split' in q;
}

/** The name of an image from outside the dataset, as the user knows it. */
export function outsideQueryName(q: GalleryOutsideQuery): string {
  return 'file' in q ? q.file.name : q.image.name;
}

export const GALLERY_DEFAULT_K = 20;
/** Sources one gallery shows side by side at most. */
export const GALLERY_MAX_SOURCES = 6;

export const GallerySearchInputSchema = z
  .object({
    dataset: DatasetSpecSchema,
    query: GalleryQuerySchema,
    sources: z.array(GallerySourceSchema).min(1).max(GALLERY_MAX_SOURCES),
    k: z.int().min(1).max(100).default(GALLERY_DEFAULT_K),
  })
  .strict();

export const GalleryHitSchema = z.object({
  /** Bank row = index of the image in the train split. */
  index: z.int(),
  similarity: z.number(),
  label: z.int(),
  className: z.string(),
  /** Same class as the query (false when the query's class is unknown). */
  sameClass: z.boolean(),
});
export type GalleryHit = z.infer<typeof GalleryHitSchema>;

export const GALLERY_BANK_STATES = ['running', 'completed', 'failed', 'cancelled', 'interrupted'] as const;

export const GalleryRowSchema = z.object({
  source: GallerySourceSchema,
  /** e.g. "run 3f2a… epoch 12 (best)", "raw pixels". */
  title: z.string(),
  /** ready: hits are filled in; computing: the bank job `jobId` runs (progress as gallery.bank); failed: see error. */
  status: z.enum(['ready', 'computing', 'failed']),
  jobId: z.string().nullable(),
  error: z.string().nullable(),
  hits: z.array(GalleryHitSchema),
});
export type GalleryRow = z.infer<typeof GalleryRowSchema>;

export const GalleryResultSchema = z.object({
  /** Thumbnails id of the dataset (shared/thumbnails.ts) when its images are reachable (a run of ours uses it); null: no images. */
  datasetId: DatasetIdSchema.nullable(),
  /** split and index for a dataset image; name for an image from outside (its label is then unknown). */
  query: z.object({ split: GallerySplitSchema.nullable(), index: z.int().nullable(), name: z.string().nullable(), label: z.int().nullable(), className: z.string().nullable() }),
  rows: z.array(GalleryRowSchema),
});
export type GalleryResult = z.infer<typeof GalleryResultSchema>;

export const GallerySourceInfoSchema = z.object({
  source: GallerySourceSchema,
  title: z.string(),
  /** The dataset the checkpoint's run trained on, or an imported model's train folder's (its parent, holding train/ and val/); null for the raw baseline and a model without a train folder. */
  dataset: DatasetSpecSchema.nullable(),
});
export type GallerySourceInfo = z.infer<typeof GallerySourceInfoSchema>;

/** A bank job moved on: computing the features of a dataset with a source. */
export const GalleryBankEventSchema = z.object({
  jobId: z.string(),
  source: GallerySourceSchema,
  status: z.enum(GALLERY_BANK_STATES),
  done: z.int(),
  total: z.int(),
  error: z.string().nullable(),
});
export type GalleryBankEvent = z.infer<typeof GalleryBankEventSchema>;

export const GalleryExportInputSchema = z
  .object({
    dataset: DatasetSpecSchema,
    queries: z.array(GalleryQuerySchema).min(1).max(50),
    sources: z.array(GallerySourceSchema).min(1).max(GALLERY_MAX_SOURCES),
    k: z.int().min(1).max(100).default(GALLERY_DEFAULT_K),
  })
  .strict();
