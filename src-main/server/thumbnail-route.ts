/**
 * The thumbnails route both shells serve: serve mode at `/thumbnails/…` (behind the access
 * token) and the desktop app at `snca://app/thumbnails/…`. It parses the reference from the
 * path and answers the PNG, or a plain-text error with the status the service chose.
 */
import { parseThumbnailPath, ThumbnailError, type ThumbnailSource } from '../../shared/thumbnails.ts';

export interface ThumbnailAnswer {
  status: number;
  contentType: string;
  body: Uint8Array | string;
  cacheControl: string;
}

export async function answerThumbnail(pathname: string, search: URLSearchParams, source: ThumbnailSource | undefined): Promise<ThumbnailAnswer> {
  const text = (status: number, message: string): ThumbnailAnswer => ({ status, contentType: 'text/plain; charset=utf-8', body: message, cacheControl: 'no-store' });
  if (!source) return text(404, 'Thumbnails are not served here');
  const parsed = parseThumbnailPath(pathname, search);
  if (!parsed.ok) return text(400, `Bad thumbnail reference: ${parsed.message}`);
  try {
    const png = await source(parsed.ref);
    // The same reference always names the same image of a dataset the user chose.
    return { status: 200, contentType: 'image/png', body: png, cacheControl: 'private, max-age=3600' };
  } catch (err) {
    if (err instanceof ThumbnailError) return text(err.status, err.message);
    throw err;
  }
}
