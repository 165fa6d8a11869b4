/**
 * Files sent from the page to the machine the core runs on, where a browser cannot name a
 * path there (serve mode): a query image for the gallery, or a PyTorch checkpoint to import.
 *
 * Wire format (serve mode): `POST /uploads/<kind>` with the access token as a Bearer header,
 * the raw file bytes as the body (`Content-Type: application/octet-stream`, Content-Length
 * required), and the file's name percent-encoded in the `X-Snca-File-Name` header. The answer
 * is a CallResult (shared/api.ts) of an UploadedFile: the stored file's path on the core's
 * machine, which models.import and a gallery file query take like any path. In the desktop
 * window a dropped or chosen file has a path already and nothing is sent.
 */
import { z } from 'zod';

export const UPLOAD_KINDS = ['image', 'model'] as const;
export const UploadKindSchema = z.enum(UPLOAD_KINDS);
export type UploadKind = z.infer<typeof UploadKindSchema>;

export const UPLOAD_PATH_PREFIX = '/uploads/';
export const UPLOAD_NAME_HEADER = 'x-snca-file-name';

export function uploadPath(kind: UploadKind): string {
  return `${UPLOAD_PATH_PREFIX}${kind}`;
}

/** Largest file name accepted (characters, after decoding). */
export const MAX_UPLOAD_NAME = 255;

/** Names each kind accepts: image files the decoder reads; torch checkpoints as the reference saves them. */
export const UPLOAD_NAME_PATTERNS: Record<UploadKind, RegExp> = {
  image: /\.(png|jpe?g|webp|gif|bmp|tiff?|ppm|pgm)$/i,
  model: /\.(pth\.tar|pth|pt|tar|t7|ckpt)$/i,
};

export const UploadLimitsSchema = z.object({ image: z.int().min(1), model: z.int().min(1) });
/** The largest file of each kind the core accepts, in bytes. */
export type UploadLimits = z.infer<typeof UploadLimitsSchema>;

export const UploadedFileSchema = z.object({
  kind: UploadKindSchema,
  /** The name the file had on the user's machine. */
  name: z.string(),
  bytes: z.int().min(0),
  /** Where the file is on the core's machine (under SNCA_HOME/cache/uploads/, removed after a while). */
  path: z.string(),
});
export type UploadedFile = z.infer<typeof UploadedFileSchema>;

/** A file of the page made available to the core: its path there, and its name as the user knows it. */
export interface PlacedFile {
  path: string;
  name: string;
  bytes: number;
}

/** Bytes of a file sent so far, of its total (for a progress bar). */
export type UploadProgress = (sentBytes: number, totalBytes: number) => void;

/** The file name header's value: percent-encoded UTF-8, so any name travels in a header. */
export function encodeUploadName(name: string): string {
  return encodeURIComponent(name);
}

/** The decoded file name, or why it is refused (empty, too long, a path, control characters, wrong kind). */
export function parseUploadName(header: string | undefined, kind: UploadKind): { ok: true; name: string } | { ok: false; message: string; wrongType: boolean } {
  if (header === undefined || header === '') return { ok: false, message: `send the file name in the ${UPLOAD_NAME_HEADER} header`, wrongType: false };
  let name: string;
  try {
    name = decodeURIComponent(header);
  } catch {
    return { ok: false, message: `the ${UPLOAD_NAME_HEADER} header is not percent-encoded UTF-8`, wrongType: false };
  }
  if (name.length === 0 || name.length > MAX_UPLOAD_NAME) return { ok: false, message: `a file name has 1 to ${MAX_UPLOAD_NAME} characters`, wrongType: false };
  if (/[/\\\u0000-\u001f\u007f]/.test(name) || name === '.' || name === '..') return { ok: false, message: `${JSON.stringify(name)} is not a plain file name`, wrongType: false };
  if (!UPLOAD_NAME_PATTERNS[kind].test(name)) {
    const want = kind === 'image' ? 'an image file (.png, .jpg, .webp, .gif, .bmp, .tif, .ppm, .pgm)' : 'a PyTorch checkpoint (.pth, .pth.tar, .tar, .t7, .pt, .ckpt)';
    return { ok: false, message: `${name} is not ${want}`, wrongType: true };
  }
  return { ok: true, name };
}

/** The Content-Length header as a byte count, or null when absent or not a plain decimal number. */
export function parseContentLength(header: string | undefined): number | null {
  if (header === undefined || !/^\d{1,16}$/.test(header.trim())) return null;
  const n = Number(header.trim());
  return Number.isSafeInteger(n) ? n : null;
}

/** A byte count for people: "12.0 MiB". */
export function formatBytes(n: number): string {
  const KiB = 1024;
  const MiB = KiB * 1024;
  const GiB = MiB * 1024;
  if (n >= GiB) return `${(n / GiB).toFixed(1)} GiB`;
  if (n >= MiB) return `${(n / MiB).toFixed(1)} MiB`;
  if (n >= KiB) return `${(n / KiB).toFixed(1)} KiB`;
  return `${n} bytes`;
}

/** Why a file larger than the core accepts is refused before it is sent, or null when it fits. */
export function uploadTooLarge(name: string, bytes: number, kind: UploadKind, limits: UploadLimits): string | null {
  const limit = limits[kind];
  if (bytes <= limit) return null;
  return `${name} is ${formatBytes(bytes)}; this server accepts ${kind === 'image' ? 'images' : 'checkpoints'} of up to ${formatBytes(limit)}.`;
}
