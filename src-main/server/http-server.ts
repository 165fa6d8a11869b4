/**
 * Serve mode: the UI and the API over HTTP + WebSocket, for machines without Electron. By
 * default on the loopback interface; elsewhere only under the public names given, and over
 * TLS (HTTPS + WSS) when a certificate is given. Every request passes the Host check; /api and
 * /events (and /thumbnails, /uploads) need the access token printed in the start URL (`http://127.0.0.1:PORT/?token=…`),
 * and the token never reaches the log.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { ApiHandlers } from '../../shared/api.ts';
import { transportNames } from '../../shared/api.ts';
import type { Diagnostics } from '../core/call-dispatch.ts';
import type { EventBus } from '../core/event-bus.ts';
import { DEFAULT_RENDERER_DIR } from '../core/package-root.ts';
import { createAccessToken } from './access-token.ts';
import { API_PREFIX, handleApiRequest, sendError } from './api-route.ts';
import { createEventSocket } from './event-socket.ts';
import { redactTokens, requestFailureLine } from './log-redaction.ts';
import { AccessPolicyError, allowedHostNames, isAllowedHost, isAllowedOrigin, isAuthorized, type AccessPolicy } from './request-guards.ts';
import { sendText, setBaselineHeaders } from './response-headers.ts';
import { handleStaticRequest } from './static-route.ts';
import { answerThumbnail } from './thumbnail-route.ts';
import { handleUploadRequest, refuseAfterBody, type UploadReceiver } from './upload-route.ts';
import { parseContentLength, UPLOAD_PATH_PREFIX } from '../../shared/uploads.ts';
import { THUMBNAIL_PATH_PREFIX, type ThumbnailSource } from '../../shared/thumbnails.ts';

export const DEFAULT_PORT = 4170;
export const DEFAULT_HOST = '127.0.0.1';

export interface ServerOptions {
  handlers: ApiHandlers;
  bus: EventBus;
  host?: string;
  /**
   * Names clients use for this server (`NAME` or `NAME:PORT`), the only Host values accepted
   * off loopback; the first one is the name in the printed URL.
   */
  publicNames?: readonly string[];
  /** PEM certificate chain and key: serve HTTPS and WSS. */
  tls?: { cert: Buffer | string; key: Buffer | string };
  /** 0 picks a free port. */
  port?: number;
  /** Fixed token (tests); default a fresh random one. */
  token?: string;
  rendererDir?: string;
  bodyLimitBytes?: number;
  diagnostics?: Diagnostics;
  /** Dataset thumbnails served at /thumbnails/… to holders of the token; absent: 404. */
  thumbnails?: ThumbnailSource;
  /** Files the page sends (POST /uploads/<kind>, shared/uploads.ts) from holders of the token; absent: 404. */
  uploads?: UploadReceiver;
}

export interface RunningServer {
  host: string;
  port: number;
  token: string;
  /** Whether it serves HTTPS + WSS. */
  tls: boolean;
  /** http(s)://NAME:PORT, NAME the first public name, else the bound address. */
  origin: string;
  /** The page to open, with the token. */
  url: string;
  close(): Promise<void>;
}

export class ServerStartError extends Error {
  override readonly name = 'ServerStartError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? DEFAULT_PORT;
  const token = options.token ?? createAccessToken();
  const rendererDir = options.rendererDir ?? DEFAULT_RENDERER_DIR;
  const bodyLimitBytes = options.bodyLimitBytes ?? 1024 * 1024;
  const write = options.diagnostics ?? ((line: string) => process.stderr.write(`snca serve: ${line}\n`));
  const diagnostics = (line: string) => write(redactTokens(line, token));
  let policy: AccessPolicy;
  try {
    policy = { scheme: options.tls ? 'https' : 'http', hostNames: allowedHostNames(host, options.publicNames) };
  } catch (err) {
    if (err instanceof AccessPolicyError) throw new ServerStartError('public_name', err.message);
    throw err;
  }
  const hostRefusal = `This server only answers requests addressed to ${[...policy.hostNames].join(', ')}.`;
  const events = createEventSocket(options.bus);
  let connectSrc: string[] = [];

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    setBaselineHeaders(res);
    if (options.tls) res.setHeader('Strict-Transport-Security', 'max-age=31536000');
    route(req, res).catch((err: unknown) => {
      diagnostics(requestFailureLine(req.method, req.url, err));
      if (!res.headersSent && !res.destroyed) sendError(res, { code: 'internal', message: 'The server failed to answer this request' });
      else res.destroy();
    });
  };
  let server: Server;
  try {
    server = options.tls ? createTlsServer({ cert: options.tls.cert, key: options.tls.key }, onRequest) : createServer(onRequest);
  } catch (err) {
    throw new ServerStartError('tls', `The TLS certificate or key cannot be used: ${err instanceof Error ? err.message : String(err)}`);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!isAllowedHost(req.headers.host, policy)) {
      sendText(res, 403, hostRefusal);
      return;
    }
    const pathname = pathnameOf(req.url);
    if (pathname === null) {
      sendText(res, 400, 'Bad request URL');
      return;
    }
    if (pathname.startsWith(API_PREFIX)) {
      if (!isAllowedOrigin(headerValue(req.headers.origin), req.headers.host, policy)) {
        sendError(res, { code: 'unauthorized', message: 'Cross-origin requests are not accepted' }, 403);
        return;
      }
      if (!isAuthorized(req, token, false)) {
        res.setHeader('WWW-Authenticate', 'Bearer');
        sendError(res, { code: 'unauthorized', message: 'Missing or wrong access token (Authorization: Bearer <token>)' });
        return;
      }
      await handleApiRequest(req, res, pathname, { handlers: options.handlers, bodyLimitBytes, diagnostics });
      return;
    }
    if (pathname.startsWith(UPLOAD_PATH_PREFIX)) {
      // Without the token, at most an API body's worth of the upload is read before answering.
      const declared = parseContentLength(headerValue(req.headers['content-length']));
      if (!isAllowedOrigin(headerValue(req.headers.origin), req.headers.host, policy)) {
        await refuseAfterBody(req, res, 403, { code: 'unauthorized', message: 'Cross-origin requests are not accepted' }, declared, bodyLimitBytes);
        return;
      }
      if (!isAuthorized(req, token, false)) {
        res.setHeader('WWW-Authenticate', 'Bearer');
        await refuseAfterBody(req, res, 401, { code: 'unauthorized', message: 'Missing or wrong access token (Authorization: Bearer <token>)' }, declared, bodyLimitBytes);
        return;
      }
      await handleUploadRequest(req, res, pathname, options.uploads, diagnostics);
      return;
    }
    if (pathname.startsWith(THUMBNAIL_PATH_PREFIX)) {
      await serveThumbnail(req, res, pathname);
      return;
    }
    if (pathname === transportNames.wsPath) {
      sendText(res, 426, 'Connect with a WebSocket', 'text/plain; charset=utf-8');
      return;
    }
    await handleStaticRequest(req, res, pathname, { rendererDir, connectSrc });
  }

  /** `<img>` cannot send a header: the token may come as `?token=`, as for the WebSocket. */
  async function serveThumbnail(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendText(res, 405, 'Method not allowed');
      return;
    }
    if (!isAllowedOrigin(headerValue(req.headers.origin), req.headers.host, policy)) {
      sendText(res, 403, 'Cross-origin requests are not accepted');
      return;
    }
    if (!isAuthorized(req, token, true)) {
      sendText(res, 401, 'Missing or wrong access token');
      return;
    }
    const answer = await answerThumbnail(pathname, new URL(req.url ?? '/', 'http://localhost').searchParams, options.thumbnails);
    res.statusCode = answer.status;
    res.setHeader('Content-Type', answer.contentType);
    res.setHeader('Cache-Control', answer.cacheControl);
    const body = typeof answer.body === 'string' ? Buffer.from(answer.body) : answer.body;
    res.setHeader('Content-Length', body.byteLength);
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  // A large checkpoint upload may take longer than Node's 5-minute request limit; the upload
  // route drops one that stays idle instead.
  if (options.uploads) server.requestTimeout = 0;

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const reject = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!isAllowedHost(req.headers.host, policy)) return reject('403 Forbidden');
    if (pathnameOf(req.url) !== transportNames.wsPath) return reject('404 Not Found');
    if (!isAllowedOrigin(headerValue(req.headers.origin), req.headers.host, policy)) return reject('403 Forbidden');
    if (!isAuthorized(req, token, true)) return reject('401 Unauthorized');
    events.handleUpgrade(req, socket, head);
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      const message =
        err.code === 'EADDRINUSE'
          ? `Port ${port} on ${host} is already in use; pass --port 0 for a free port, or stop the program using it.`
          : err.code === 'EACCES'
            ? `Not allowed to listen on ${host}:${port}; choose a port above 1024.`
            : err.code === 'EADDRNOTAVAIL'
              ? `The address ${host} does not belong to this machine.`
              : `Could not listen on ${host}:${port}: ${err.message}`;
      reject(new ServerStartError(err.code ?? 'unknown', message));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });

  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const origin = publicOrigin(policy.scheme, options.publicNames?.[0] ?? host, boundPort);
  // The WebSocket is same-origin; older engines do not treat ws: as 'self', so name it.
  connectSrc = [`${policy.scheme === 'https' ? 'wss' : 'ws'}://${new URL(origin).host}`];

  let closing: Promise<void> | null = null;
  return {
    host,
    port: boundPort,
    token,
    tls: policy.scheme === 'https',
    origin,
    url: `${origin}/?token=${token}`,
    close: () => {
      closing ??= (async () => {
        await events.close();
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => server.closeAllConnections(), 2000);
          force.unref();
          server.close(() => {
            clearTimeout(force);
            resolve();
          });
          server.closeIdleConnections();
        });
      })();
      return closing;
    },
  };
}

/** `scheme://name:port` for a name given as `NAME` or `NAME:PORT` (the port a proxy or tunnel shows). */
function publicOrigin(scheme: 'http' | 'https', name: string, boundPort: number): string {
  const bare = name.includes(':') && !name.startsWith('[') && name.indexOf(':') !== name.lastIndexOf(':') ? `[${name}]` : name;
  const u = new URL(`${scheme}://${bare}`);
  if (u.port === '' && !/:\d+$/.test(bare)) u.port = String(boundPort);
  return u.origin;
}

function pathnameOf(url: string | undefined): string | null {
  try {
    return new URL(url ?? '/', 'http://localhost').pathname;
  } catch {
    return null;
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
