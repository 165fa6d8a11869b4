/** GET/HEAD of the built renderer, with SPA fallback and a 503 page when it was never built. */
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { contentSecurityPolicy, lookupRendererAsset, notBuiltPage } from './renderer-assets.ts';
import { sendText } from './response-headers.ts';

export interface StaticRouteOptions {
  rendererDir: string;
  /** Origins the page may connect to besides itself (the WebSocket URL). */
  connectSrc: readonly string[];
}

export async function handleStaticRequest(req: IncomingMessage, res: ServerResponse, pathname: string, options: StaticRouteOptions): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    sendText(res, 405, 'Method not allowed');
    return;
  }
  const found = await lookupRendererAsset(options.rendererDir, pathname);
  if (found.kind === 'not-built') {
    sendText(res, 503, notBuiltPage(found.rendererDir), 'text/html; charset=utf-8');
    return;
  }
  if (found.kind === 'not-found') {
    sendText(res, 404, 'Not found');
    return;
  }
  res.statusCode = 200;
  res.setHeader('Content-Type', found.contentType);
  res.setHeader('Content-Length', found.size);
  res.setHeader('Cache-Control', found.cacheControl);
  if (found.contentType.startsWith('text/html')) res.setHeader('Content-Security-Policy', contentSecurityPolicy(options.connectSrc));
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  try {
    await pipeline(createReadStream(found.path), res);
  } catch {
    // The client went away or the file vanished mid-read (a rebuild): nothing more to send.
    res.destroy();
  }
}
