/**
 * `POST /uploads/<kind>` (shared/uploads.ts): the headers are checked here (kind, type,
 * length, file name) before any of the body is read; the body is streamed to the uploads
 * service, which stores and checks it. The answer is a CallResult of the stored file, or of
 * the refusal with its status: 411 without a length, 413 too large, 415 a wrong type, 400
 * otherwise. The rest of a refused body is read and dropped when it is at most
 * DRAIN_LIMIT_BYTES (so the client gets the answer); a larger one is not read: the answer is
 * sent and the connection closed (a client may see only the closed connection then, which is
 * why the page checks uploads.limits before sending).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { ApiErrorPayload } from '../../shared/api-error.ts';
import { parseContentLength, parseUploadName, UPLOAD_KINDS, UPLOAD_NAME_HEADER, UPLOAD_PATH_PREFIX, type UploadedFile, type UploadKind } from '../../shared/uploads.ts';
import { sendCallResult } from './api-route.ts';

/** What serve mode hands an upload to (the core's uploads service). */
export type UploadReceiver = (req: { kind: UploadKind; name: string; declaredBytes: number; body: Readable }) => Promise<UploadedFile>;

/** Seconds without a byte after which an upload is dropped. */
const IDLE_TIMEOUT_MS = 60_000;
/** Largest rest of a refused body read (and dropped) so that the client reads the refusal. */
const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Answers a refusal once the request's body is read, or at once closing the connection when
 * the body is larger than `drainLimit` (or of unknown length).
 */
export async function refuseAfterBody(req: IncomingMessage, res: ServerResponse, status: number, error: ApiErrorPayload, declared: number | null, drainLimit = DRAIN_LIMIT_BYTES): Promise<void> {
  if (!req.complete && !req.socket.destroyed && declared !== null && declared <= drainLimit) {
    req.resume();
    await new Promise<void>((resolve) => {
      req.once('end', resolve);
      req.once('close', resolve);
    });
  } else {
    res.setHeader('Connection', 'close');
  }
  // An aborted upload has no one to answer.
  if (res.destroyed || req.socket.destroyed) return;
  sendCallResult(res, { ok: false, error }, status);
}

/** The refusal a receiver's error stands for (an error with a `status` of 4xx), or null for a failure of the server. */
function refusalOf(err: unknown): { status: number; error: ApiErrorPayload } | null {
  if (!(err instanceof Error) || !('status' in err) || typeof err.status !== 'number' || err.status < 400 || err.status > 499) return null;
  return { status: err.status, error: { code: 'invalid_input', message: err.message } };
}

export async function handleUploadRequest(req: IncomingMessage, res: ServerResponse, pathname: string, receive: UploadReceiver | undefined, diagnostics: (line: string) => void): Promise<void> {
  const declared = parseContentLength(req.headers['content-length']);
  const refuse = (status: number, message: string) => refuseAfterBody(req, res, status, { code: status === 404 ? 'not_found' : 'invalid_input', message }, declared);
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    await refuse(405, `Use POST for ${pathname}`);
    return;
  }
  const kind = UPLOAD_KINDS.find((k) => pathname === `${UPLOAD_PATH_PREFIX}${k}`);
  if (!receive || !kind) {
    await refuse(404, receive ? `No upload route ${pathname}; use ${UPLOAD_KINDS.map((k) => UPLOAD_PATH_PREFIX + k).join(' or ')}` : 'Uploads are not accepted here');
    return;
  }
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType !== 'application/octet-stream') {
    await refuse(415, 'Send the file as the body with Content-Type: application/octet-stream');
    return;
  }
  if (declared === null) {
    await refuse(411, 'Send the Content-Length of the file');
    return;
  }
  const rawName = req.headers[UPLOAD_NAME_HEADER];
  const name = parseUploadName(Array.isArray(rawName) ? rawName[0] : rawName, kind);
  if (!name.ok) {
    await refuse(name.wrongType ? 415 : 400, `Bad file name: ${name.message}`);
    return;
  }
  req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(new Error(`no bytes for ${IDLE_TIMEOUT_MS / 1000} s`)));
  let stored: UploadedFile;
  try {
    stored = await receive({ kind, name: name.name, declaredBytes: declared, body: req });
  } catch (err) {
    const refusal = refusalOf(err);
    if (!refusal) throw err;
    diagnostics(`upload of ${name.name} refused: ${refusal.error.message}`);
    await refuseAfterBody(req, res, refusal.status, refusal.error, declared);
    return;
  }
  sendCallResult(res, { ok: true, result: stored });
}
