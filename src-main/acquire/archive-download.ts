/**
 * HTTP(S) download of a data archive to disk: resumes a broken transfer from the `.part`
 * file with a Range request, verifies the md5, reports progress, honours an AbortSignal,
 * and turns "no network" into a message that points at importing a local copy.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { once } from 'node:events';

export type DownloadErrorCode = 'offline' | 'http' | 'interrupted' | 'md5' | 'aborted' | 'io';

export class DownloadError extends Error {
  override readonly name = 'DownloadError';
  constructor(
    readonly code: DownloadErrorCode,
    readonly url: string,
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

export interface DownloadProgress {
  readonly url: string;
  readonly path: string;
  /** Bytes on disk so far, including those of a resumed earlier attempt. */
  readonly receivedBytes: number;
  readonly totalBytes: number | null;
  /** Bytes that were already on disk when this transfer started (0 for a fresh one). */
  readonly resumedFrom: number;
  readonly bytesPerSecond: number;
  readonly done: boolean;
}

export interface DownloadOptions {
  /** Expected md5 (hex); a mismatch deletes the file and throws. */
  md5?: string;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Automatic resumes after a cut connection (default 3). */
  retries?: number;
  retryDelayMs?: number;
  /** A connection silent for this long counts as cut (default 30 s). */
  idleTimeoutMs?: number;
  /** Minimum interval between progress events (default 100 ms). */
  progressIntervalMs?: number;
  /** Text appended to the offline message, e.g. how to import the file by hand. */
  offlineHint?: string;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  md5: string;
  /** Whether an earlier partial download was continued. */
  resumed: boolean;
  /** Whether the file was already complete and nothing was fetched. */
  cached: boolean;
}

const OFFLINE_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN', 'EAI_FAIL']);

export async function md5File(path: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    }, { once: true });
  });
}

interface AttemptOutcome {
  totalBytes: number | null;
}

/** Signals that the partial file must be discarded and the transfer restarted from 0. */
class RestartFromZero extends Error {}

/**
 * Downloads `url` to `dest`. A previous `dest.part` is continued; an existing `dest` whose md5
 * matches (or any existing `dest` when no md5 is given) is returned without network access.
 */
export async function downloadFile(url: string, dest: string, opts: DownloadOptions = {}): Promise<DownloadResult> {
  const expected = opts.md5?.toLowerCase();
  const existing = await sizeOf(dest);
  if (existing !== null) {
    const md5 = await md5File(dest);
    if (!expected || md5 === expected) return { path: dest, bytes: existing, md5, resumed: false, cached: true };
    await rm(dest, { force: true });
  }
  const part = `${dest}.part`;
  const retries = opts.retries ?? 3;
  let resumedAny = false;
  let lastError: DownloadError | null = null;
  let totalBytes: number | null = null;
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await delay(opts.retryDelayMs ?? 1000, opts.signal).catch(() => undefined);
    if (opts.signal?.aborted) throw new DownloadError('aborted', url, dest, `Download of ${url} was cancelled; ${part} is kept and will be resumed next time`);
    const startAt = (await sizeOf(part)) ?? 0;
    if (startAt > 0) resumedAny = true;
    try {
      totalBytes = (await fetchInto(url, part, startAt, opts)).totalBytes;
      lastError = null;
      break;
    } catch (e) {
      if (e instanceof RestartFromZero) {
        await rm(part, { force: true });
        attempt--; // a server that cannot resume is not a failed attempt
        continue;
      }
      const err = e as DownloadError;
      if (!(err instanceof DownloadError) || err.code !== 'interrupted') throw err;
      lastError = err;
    }
  }
  if (lastError) throw lastError;
  const bytes = (await sizeOf(part)) ?? 0;
  if (totalBytes !== null && bytes !== totalBytes) {
    throw new DownloadError('interrupted', url, dest, `Download of ${url} stopped at ${bytes} of ${totalBytes} bytes; run it again to resume`);
  }
  const md5 = await md5File(part);
  if (expected && md5 !== expected) {
    await rm(part, { force: true });
    throw new DownloadError('md5', url, dest, `${dest}: md5 of the downloaded file is ${md5}, expected ${expected}; the file was corrupt or is not the expected archive and has been deleted — download it again`);
  }
  try {
    await rename(part, dest);
  } catch (e) {
    throw new DownloadError('io', url, dest, `${dest}: cannot move the finished download into place (${(e as Error).message})`);
  }
  opts.onProgress?.({ url, path: dest, receivedBytes: bytes, totalBytes: bytes, resumedFrom: 0, bytesPerSecond: 0, done: true });
  return { path: dest, bytes, md5, resumed: resumedAny, cached: false };
}

function request(
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
  idleMs: number,
  redirects = 0,
): Promise<{ res: http.IncomingMessage; finalUrl: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const lib = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : null;
    if (!lib) {
      reject(new DownloadError('http', url, '', `Unsupported URL scheme in ${url} (http or https expected)`));
      return;
    }
    const req = lib.get(u, { headers, signal }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (redirects >= 5) {
          reject(new DownloadError('http', url, '', `Too many redirects from ${url}`));
          return;
        }
        request(new URL(res.headers.location, u).toString(), headers, signal, idleMs, redirects + 1).then(resolve, reject);
        return;
      }
      resolve({ res, finalUrl: url });
    });
    req.on('error', reject);
    // Also covers a server that accepts the connection but never answers.
    req.setTimeout(idleMs, () => req.destroy(Object.assign(new Error(`no data for ${idleMs} ms`), { code: 'ETIMEDOUT' })));
  });
}

function classify(e: unknown, url: string, dest: string, hint: string | undefined): DownloadError {
  if (e instanceof DownloadError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err.name === 'AbortError') {
    return new DownloadError('aborted', url, dest, `Download of ${url} was cancelled; ${dest}.part is kept and will be resumed next time`);
  }
  if (err.code && OFFLINE_CODES.has(err.code)) {
    const host = new URL(url).host;
    return new DownloadError(
      'offline',
      url,
      dest,
      `Cannot reach ${host} (${err.code}): this computer seems to be offline or the server is unreachable.${hint ? ' ' + hint : ''}`,
    );
  }
  return new DownloadError('interrupted', url, dest, `Download of ${url} was interrupted (${err.code ?? err.message}); it will resume from ${dest}.part`);
}

async function fetchInto(url: string, part: string, startAt: number, opts: DownloadOptions): Promise<AttemptOutcome> {
  const headers: Record<string, string> = { 'user-agent': 'snca-studio', accept: '*/*' };
  if (startAt > 0) headers.range = `bytes=${startAt}-`;
  let res: http.IncomingMessage;
  try {
    ({ res } = await request(url, headers, opts.signal, opts.idleTimeoutMs ?? 30_000));
  } catch (e) {
    throw classify(e, url, part.replace(/\.part$/, ''), opts.offlineHint);
  }
  const dest = part.replace(/\.part$/, '');
  const status = res.statusCode ?? 0;
  let totalBytes: number | null = null;
  let offset = startAt;
  if (status === 416 && startAt > 0) {
    res.resume();
    const m = /\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''));
    if (m && Number(m[1]) === startAt) return { totalBytes: startAt };
    throw new RestartFromZero();
  }
  if (status === 206) {
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
    if (!m || Number(m[1]) !== startAt) {
      res.resume();
      throw new RestartFromZero();
    }
    totalBytes = m[3] === '*' ? null : Number(m[3]);
  } else if (status === 200) {
    offset = 0; // the server ignored the Range header: start over
    const len = res.headers['content-length'];
    totalBytes = len !== undefined ? Number(len) : null;
  } else {
    res.resume();
    throw new DownloadError('http', url, dest, `Download of ${url} failed: HTTP ${status} ${res.statusMessage ?? ''}`.trim());
  }

  const out = createWriteStream(part, { flags: offset > 0 ? 'a' : 'w' });
  let writeError: Error | null = null;
  out.on('error', (e) => {
    writeError = e;
    res.destroy(e);
  });
  const started = Date.now();
  const interval = opts.progressIntervalMs ?? 100;
  let lastEmit = 0;
  let received = offset;
  const emit = (): void => {
    const secs = (Date.now() - started) / 1000;
    opts.onProgress?.({
      url,
      path: dest,
      receivedBytes: received,
      totalBytes,
      resumedFrom: startAt,
      bytesPerSecond: secs > 0 ? (received - offset) / secs : 0,
      done: false,
    });
  };
  try {
    emit();
    for await (const chunk of res as AsyncIterable<Buffer>) {
      if (!out.write(chunk)) await once(out, 'drain');
      received += chunk.length;
      const now = Date.now();
      if (now - lastEmit >= interval) {
        lastEmit = now;
        emit();
      }
    }
    if (!res.complete) throw Object.assign(new Error('connection closed before the end of the response'), { code: 'ECONNRESET' });
  } catch (e) {
    if (writeError) throw new DownloadError('io', url, dest, `${part}: cannot write the download (${(writeError as Error).message})`);
    throw classify(e, url, dest, opts.offlineHint);
  } finally {
    out.end();
    await once(out, 'close').catch(() => undefined);
  }
  emit();
  if (totalBytes !== null && received < totalBytes) {
    throw new DownloadError('interrupted', url, dest, `Download of ${url} stopped at ${received} of ${totalBytes} bytes; it will resume from ${part}`);
  }
  return { totalBytes };
}
