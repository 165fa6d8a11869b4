/**
 * Thumbnails of dataset images, served as PNG by the desktop app's protocol
 * (`snca://app/thumbnails/…`) and by serve mode's authenticated route (`/thumbnails/…`).
 * A thumbnail is named by a dataset id (given out by the main side for datasets the user
 * chose: run configs, evaluations), a split, an index in that split and a size, never by
 * a file path.
 */
import { z } from 'zod';

export const THUMBNAIL_SPLITS = ['train', 'val'] as const;
export type ThumbnailSplit = (typeof THUMBNAIL_SPLITS)[number];

/** Edge of the square thumbnail in pixels. */
export const THUMBNAIL_MIN_SIZE = 16;
export const THUMBNAIL_MAX_SIZE = 256;
export const THUMBNAIL_DEFAULT_SIZE = 64;

/** 16 hex digits: the start of the sha256 of the dataset's canonical identity. */
export const DatasetIdSchema = z.string().regex(/^[0-9a-f]{16}$/, 'a dataset id is 16 hex digits');

export const ThumbnailRefSchema = z
  .object({
    datasetId: DatasetIdSchema,
    split: z.enum(THUMBNAIL_SPLITS),
    index: z.int().min(0).max(2 ** 31 - 1),
    size: z.int().min(THUMBNAIL_MIN_SIZE).max(THUMBNAIL_MAX_SIZE).default(THUMBNAIL_DEFAULT_SIZE),
  })
  .strict();
export type ThumbnailRef = z.output<typeof ThumbnailRefSchema>;
export type ThumbnailRefInput = z.input<typeof ThumbnailRefSchema>;

export const THUMBNAIL_PATH_PREFIX = '/thumbnails/';

/** `/thumbnails/<datasetId>/<split>/<index>.png?size=<size>`, relative to the app's origin. */
export function thumbnailPath(ref: ThumbnailRefInput): string {
  const size = ref.size ?? THUMBNAIL_DEFAULT_SIZE;
  return `${THUMBNAIL_PATH_PREFIX}${ref.datasetId}/${ref.split}/${ref.index}.png?size=${size}`;
}

export type ThumbnailPathParse = { ok: true; ref: ThumbnailRef } | { ok: false; message: string };

/** The reference a request path names (pathname and query as the URL parser gives them). */
export function parseThumbnailPath(pathname: string, search: URLSearchParams): ThumbnailPathParse {
  if (!pathname.startsWith(THUMBNAIL_PATH_PREFIX)) return { ok: false, message: `not under ${THUMBNAIL_PATH_PREFIX}` };
  const m = /^([0-9a-f]{16})\/([a-z]+)\/(\d{1,10})\.png$/.exec(pathname.slice(THUMBNAIL_PATH_PREFIX.length));
  if (!m) return { ok: false, message: `expected ${THUMBNAIL_PATH_PREFIX}<dataset id>/<train|val>/<index>.png` };
  const sizeText = search.get('size');
  const parsed = ThumbnailRefSchema.safeParse({
    datasetId: m[1],
    split: m[2],
    index: Number(m[3]),
    ...(sizeText === null ? {} : { size: /^\d{1,4}$/.test(sizeText) ? Number(sizeText) : Number.NaN }),
  });
  if (!parsed.success) return { ok: false, message: parsed.error.issues.map((i) => `${i.path.join('.') || 'thumbnail'}: ${i.message}`).join('; ') };
  return { ok: true, ref: parsed.data };
}

/** Why a thumbnail cannot be given, with the HTTP status the routes answer. */
export class ThumbnailError extends Error {
  override readonly name = 'ThumbnailError';
  constructor(
    readonly status: 400 | 403 | 404 | 500,
    message: string,
  ) {
    super(message);
  }
}

/** What the transports serve thumbnails from: the PNG bytes, or a ThumbnailError. */
export type ThumbnailSource = (ref: ThumbnailRef) => Promise<Uint8Array>;
