/**
 * Serve-mode transport (see the wire format in shared/api.ts): POST /api/<method> with a
 * bearer token, events over a WebSocket at /events?token= that reconnects with backoff.
 * Written against small structural types so it runs in the browser and in Node tests.
 */
import {
  transportNames,
  type EventName,
  type EventPayload,
  type MethodInput,
  type MethodName,
  type MethodOutput,
} from '../../shared/api.ts';
import { ApiError, errorCodeOfHttpStatus } from '../../shared/api-error.ts';
import { checkInput, unwrapCallResult } from './call-result.ts';
import type { ConnectionState, FileToPlace, RendererApiClient } from './client-types.ts';
import { encodeUploadName, UPLOAD_NAME_HEADER, UploadedFileSchema, uploadPath, uploadTooLarge, type UploadLimits, type UploadProgress } from '../../shared/uploads.ts';
import { ApiErrorPayloadSchema } from '../../shared/api-error.ts';
import { z } from 'zod';

/** The CallResult the upload route answers. */
const UploadResultSchema = z.union([z.object({ ok: z.literal(true), result: UploadedFileSchema }), z.object({ ok: z.literal(false), error: ApiErrorPayloadSchema })]);
import { EventHub } from './event-hub.ts';

/** The part of the WebSocket API this client uses (browser WebSocket and `ws` both fit). */
export interface WebSocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface FetchResponseLike {
  status: number;
  text(): Promise<string>;
}
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string },
) => Promise<FetchResponseLike>;

/** Sends a file as a request body, reporting bytes sent (the browser's XMLHttpRequest; tests pass their own). */
export type SendFileLike = (
  url: string,
  init: { headers: Record<string, string>; body: FileToPlace; onProgress?: UploadProgress },
) => Promise<FetchResponseLike>;

/** The part of XMLHttpRequest sendFile uses. */
interface XhrLike {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  send(body: unknown): void;
  readonly status: number;
  readonly responseText: string;
  readonly upload: { onprogress: ((ev: { loaded: number; total: number }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}

/** sendFile over the page's XMLHttpRequest (fetch reports no upload progress). */
export function xhrSendFile(Xhr: new () => XhrLike): SendFileLike {
  return (url, init) =>
    new Promise((resolve, reject) => {
      const xhr = new Xhr();
      xhr.open('POST', url);
      for (const [k, v] of Object.entries(init.headers)) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (ev) => init.onProgress?.(ev.loaded, ev.total || init.body.size);
      xhr.onload = () => resolve({ status: xhr.status, text: () => Promise.resolve(xhr.responseText) });
      xhr.onerror = () => reject(new Error('the connection failed during the upload'));
      xhr.onabort = () => reject(new Error('the upload was aborted'));
      xhr.send(init.body);
    });
}

export interface ReconnectPolicy {
  /** First retry delay in ms. */
  initialMs: number;
  /** Upper bound of the delay in ms. */
  maxMs: number;
  /** Multiplier applied after each failed attempt. */
  factor: number;
}

export interface HttpClientOptions {
  /** Origin of the serve-mode server, e.g. `http://127.0.0.1:5173` (no trailing path). */
  baseUrl: string;
  token: string;
  WebSocketImpl?: WebSocketConstructor;
  fetchImpl?: FetchLike;
  /** Default: the global XMLHttpRequest. */
  sendFileImpl?: SendFileLike;
  reconnect?: Partial<ReconnectPolicy>;
  /** Source of randomness for backoff jitter (tests pass a constant). */
  random?: () => number;
}

export const DEFAULT_RECONNECT: ReconnectPolicy = { initialMs: 500, maxMs: 10_000, factor: 2 };

/** Delay before retry number `attempt` (0-based), with ±20 % jitter. */
export function backoffDelay(attempt: number, policy: ReconnectPolicy, random: () => number = Math.random): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.factor ** attempt);
  const jitter = 1 + (random() * 2 - 1) * 0.2;
  return Math.round(Math.min(policy.maxMs, base * jitter));
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function wsUrlOf(baseUrl: string, token: string): string {
  const u = trimSlash(baseUrl).replace(/^http(s?):/i, (_m, s: string) => `ws${s}:`);
  return `${u}${transportNames.wsPath}?token=${encodeURIComponent(token)}`;
}

function textOf(data: unknown): string {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(new Uint8Array(data));
  if (ArrayBuffer.isView(data)) return new TextDecoder().decode(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return String(data);
}

export function createHttpClient(options: HttpClientOptions): RendererApiClient {
  const baseUrl = trimSlash(options.baseUrl);
  const policy: ReconnectPolicy = { ...DEFAULT_RECONNECT, ...options.reconnect };
  const random = options.random ?? Math.random;
  const fetchImpl: FetchLike =
    options.fetchImpl ?? ((url, init) => (globalThis as unknown as { fetch: FetchLike }).fetch(url, init));
  const WebSocketImpl =
    options.WebSocketImpl ?? (globalThis as unknown as { WebSocket?: WebSocketConstructor }).WebSocket;

  const hub = new EventHub();
  const connectionListeners = new Set<(s: ConnectionState) => void>();
  let state: ConnectionState = 'connecting';
  let socket: WebSocketLike | null = null;
  let started = false;
  let closed = false;
  let attempt = 0;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  /** The core's upload limits, asked once. */
  let limits: Promise<UploadLimits> | null = null;

  function setState(next: ConnectionState) {
    if (state === next) return;
    state = next;
    for (const l of [...connectionListeners]) l(next);
  }

  function scheduleReconnect() {
    if (closed || retryTimer) return;
    const delay = backoffDelay(attempt, policy, random);
    attempt += 1;
    setState('reconnecting');
    retryTimer = setTimeout(() => {
      retryTimer = null;
      openSocket();
    }, delay);
  }

  function openSocket() {
    if (closed) return;
    if (!WebSocketImpl) {
      setState('closed');
      return;
    }
    let ws: WebSocketLike;
    try {
      ws = new WebSocketImpl(wsUrlOf(baseUrl, options.token));
    } catch {
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.onopen = () => {
      if (socket !== ws) return;
      attempt = 0;
      setState('open');
    };
    ws.onmessage = (ev) => {
      if (socket !== ws) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(textOf(ev.data));
      } catch {
        console.warn('snca: dropped an event that is not JSON');
        return;
      }
      hub.dispatch(parsed);
    };
    ws.onerror = () => {
      // a close event follows; reconnecting is decided there
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      if (!closed) scheduleReconnect();
    };
  }

  function ensureStarted() {
    if (started || closed) return;
    started = true;
    openSocket();
  }

  return {
    transport: 'http',
    get connection() {
      return state;
    },
    async call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
      checkInput(method, input);
      let res: FetchResponseLike;
      try {
        res = await fetchImpl(`${baseUrl}${transportNames.httpPath(method)}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${options.token}` },
          body: JSON.stringify(input ?? {}),
        });
      } catch (err) {
        throw new ApiError(
          'unavailable',
          `Cannot reach the SNCA server (${err instanceof Error ? err.message : String(err)})`,
        );
      }
      const text = await res.text().catch(() => '');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        if (res.status === 200) throw new ApiError('internal', `Malformed answer to ${method}: not JSON`);
        const code = errorCodeOfHttpStatus(res.status);
        throw new ApiError(code, code === 'unauthorized' ? 'The session token was refused' : `HTTP ${res.status} from ${method}`);
      }
      if (res.status !== 200 && !(body && typeof body === 'object' && (body as { ok?: unknown }).ok === false)) {
        // an error status without a CallResult body (a proxy, an old server): keep the status' meaning
        const code = errorCodeOfHttpStatus(res.status);
        throw new ApiError(code, `HTTP ${res.status} from ${method}`);
      }
      return unwrapCallResult(method, body);
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void) {
      const off = hub.on(event, listener);
      ensureStarted();
      return off;
    },
    assetUrl(path) {
      return `${baseUrl}${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(options.token)}`;
    },
    async placeFile(file, kind, onProgress) {
      limits ??= this.call('uploads.limits', {}).catch((err: unknown) => {
        limits = null;
        throw err;
      });
      const tooLarge = uploadTooLarge(file.name, file.size, kind, await limits);
      if (tooLarge) throw new ApiError('invalid_input', tooLarge);
      const Xhr = (globalThis as unknown as { XMLHttpRequest?: new () => XhrLike }).XMLHttpRequest;
      const send = options.sendFileImpl ?? (Xhr ? xhrSendFile(Xhr) : null);
      if (!send) throw new ApiError('unavailable', 'This page cannot send files');
      let res: FetchResponseLike;
      try {
        res = await send(`${baseUrl}${uploadPath(kind)}`, {
          headers: { 'Content-Type': 'application/octet-stream', Authorization: `Bearer ${options.token}`, [UPLOAD_NAME_HEADER]: encodeUploadName(file.name) },
          body: file,
          ...(onProgress ? { onProgress } : {}),
        });
      } catch (err) {
        throw new ApiError('unavailable', `${file.name} could not be sent to the SNCA server (${err instanceof Error ? err.message : String(err)})`);
      }
      const text = await res.text().catch(() => '');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new ApiError(errorCodeOfHttpStatus(res.status), `HTTP ${res.status} from the upload of ${file.name}`);
      }
      const parsed = UploadResultSchema.safeParse(body);
      if (!parsed.success) throw new ApiError('internal', `Malformed answer to the upload of ${file.name}`);
      if (!parsed.data.ok) throw ApiError.fromPayload(parsed.data.error);
      const { path, name, bytes } = parsed.data.result;
      return { path, name, bytes };
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      ensureStarted();
      return () => connectionListeners.delete(listener);
    },
    close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = null;
      const ws = socket;
      socket = null;
      ws?.close(1000, 'client closed');
      setState('closed');
    },
  };
}
