/**
 * `POST /api/<method>`: reads a size-limited JSON body, dispatches it through the contract
 * and answers a CallResult with the status of its error code (the wire format in shared/api.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiHandlers, CallResult } from '../../shared/api.ts';
import { HTTP_STATUS_OF, type ApiErrorPayload } from '../../shared/api-error.ts';
import { dispatchCall, type Diagnostics } from '../core/call-dispatch.ts';

export const API_PREFIX = '/api/';

export interface ApiRouteOptions {
  handlers: ApiHandlers;
  bodyLimitBytes: number;
  diagnostics: Diagnostics;
}

export function sendCallResult(res: ServerResponse, result: CallResult<unknown>, status?: number): void {
  const body = JSON.stringify(result);
  res.statusCode = status ?? (result.ok ? 200 : HTTP_STATUS_OF[result.error.code]);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

export function sendError(res: ServerResponse, error: ApiErrorPayload, status?: number): void {
  sendCallResult(res, { ok: false, error }, status);
}

export async function handleApiRequest(req: IncomingMessage, res: ServerResponse, pathname: string, options: ApiRouteOptions): Promise<void> {
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    sendError(res, { code: 'invalid_input', message: `Use POST for ${pathname}` }, 405);
    return;
  }
  let method: string;
  try {
    method = decodeURIComponent(pathname.slice(API_PREFIX.length));
  } catch {
    method = pathname.slice(API_PREFIX.length);
  }
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const body = await readBody(req, options.bodyLimitBytes);
  if (body === 'too-large') {
    res.setHeader('Connection', 'close');
    sendError(res, { code: 'invalid_input', message: `The request body exceeds ${options.bodyLimitBytes} bytes` }, 413);
    return;
  }
  let input: unknown;
  if (body.length > 0) {
    // Requiring JSON keeps cross-site "simple" form posts out even before the token check matters.
    if (contentType !== 'application/json') {
      sendError(res, { code: 'invalid_input', message: 'Send the input as Content-Type: application/json' }, 415);
      return;
    }
    try {
      input = JSON.parse(body.toString('utf8'));
    } catch (err) {
      sendError(res, { code: 'invalid_input', message: `The request body is not valid JSON: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
  }
  sendCallResult(res, await dispatchCall(options.handlers, method, input, options.diagnostics));
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      resolve('too-large');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
      done = true;
    });
    req.on('error', (err) => {
      if (!done) reject(err);
      done = true;
    });
  });
}
