/**
 * The `snca://app/…` protocol serving dist/renderer to the window (instead of file://):
 * a real origin for the page's CSP and relative URLs, no access to other local files,
 * the CSP sent as a header, and the "not built" page when the renderer is missing.
 */
import { readFile } from 'node:fs/promises';
import { contentSecurityPolicy, lookupRendererAsset, notBuiltPage } from '../server/renderer-assets.ts';
import { APP_HOST } from './window-security.ts';

export function createAppProtocolHandler(rendererDir: string): (request: Request) => Promise<Response> {
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
