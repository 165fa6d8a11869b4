/**
 * The `snca://app/…` protocol serving dist/renderer to the window (instead of file://):
 * a real origin for the page's CSP and relative URLs, no access to other local files,
 * the CSP sent as a header, and the "not built" page when the renderer is missing; dataset
 * thumbnails at `snca://app/thumbnails/…`.
 */
import { readFile } from 'node:fs/promises';
import { contentSecurityPolicy, lookupRendererAsset, notBuiltPage } from '../server/renderer-assets.ts';
import { APP_HOST } from './window-security.ts';
import { THUMBNAIL_PATH_PREFIX, type ThumbnailSource } from '../../shared/thumbnails.ts';
import { answerThumbnail } from '../server/thumbnail-route.ts';

export function createAppProtocolHandler(rendererDir: string, thumbnails?: ThumbnailSource): (request: Request) => Promise<Response> {
  const csp = contentSecurityPolicy();
  const baseHeaders = { 'X-Content-Type-Options': 'nosniff' };
  return async (request) => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return new Response('Bad request', { status: 400, headers: baseHeaders });
    }
    if (url.host !== APP_HOST || (request.method !== 'GET' && request.method !== 'HEAD')) {
      return new Response('Not found', { status: 404, headers: baseHeaders });
    }
    if (url.pathname.startsWith(THUMBNAIL_PATH_PREFIX)) {
      const answer = await answerThumbnail(url.pathname, url.searchParams, thumbnails);
      const body = request.method === 'HEAD' ? null : typeof answer.body === 'string' ? answer.body : new Uint8Array(answer.body);
      return new Response(body, { status: answer.status, headers: { ...baseHeaders, 'Content-Type': answer.contentType, 'Cache-Control': answer.cacheControl } });
    }
    const found = await lookupRendererAsset(rendererDir, url.pathname);
    if (found.kind === 'not-built') {
      return new Response(notBuiltPage(found.rendererDir), {
        status: 503,
        headers: { ...baseHeaders, 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': csp },
      });
    }
    if (found.kind === 'not-found') return new Response('Not found', { status: 404, headers: baseHeaders });
    const headers: Record<string, string> = { ...baseHeaders, 'Content-Type': found.contentType, 'Cache-Control': found.cacheControl };
    if (found.contentType.startsWith('text/html')) headers['Content-Security-Policy'] = csp;
    const body = request.method === 'HEAD' ? null : await readFile(found.path);
    return new Response(body, { status: 200, headers });
  };
}
