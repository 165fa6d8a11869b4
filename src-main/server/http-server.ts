/**
 * Serve mode: the UI and the API over HTTP + WebSocket on the loopback interface, for
 * machines without Electron. Every request passes the Host check; /api and /events need
 * the access token printed in the start URL (`http://127.0.0.1:PORT/?token=…`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ApiHandlers } from '../../shared/api.ts';
import { transportNames } from '../../shared/api.ts';
import type { Diagnostics } from '../core/call-dispatch.ts';
import type { EventBus } from '../core/event-bus.ts';
import { DEFAULT_RENDERER_DIR } from '../core/renderer-assets.ts';
import { createAccessToken } from './access-token.ts';
import { API_PREFIX, handleApiRequest, sendError } from './api-route.ts';
import { createEventSocket } from './event-socket.ts';
import { allowedHostNames, isAllowedHost, isAllowedOrigin, isAuthorized } from './request-guards.ts';
import { sendText, setBaselineHeaders } from './response-headers.ts';
import { handleStaticRequest } from './static-route.ts';

export const DEFAULT_PORT = 4170;
export const DEFAULT_HOST = '127.0.0.1';

export interface ServerOptions {
  handlers: ApiHandlers;
  bus: EventBus;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Fixed token (tests); default a fresh random one. */
  token?: string;
  rendererDir?: string;
  bodyLimitBytes?: number;
  diagnostics?: Diagnostics;
}

export interface RunningServer {
  host: string;
  port: number;
  token: string;
  /** http://HOST:PORT */
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
  const diagnostics = options.diagnostics ?? ((line: string) => process.stderr.write(`snca serve: ${line}\n`));
  const allowed = allowedHostNames(host);
  const events = createEventSocket(options.bus);
  let connectSrc: string[] = [];

  const server = createServer((req, res) => {
    setBaselineHeaders(res);
    route(req, res).catch((err: unknown) => {
      diagnostics(`request ${req.method} ${req.url} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      if (!res.headersSent) sendError(res, { code: 'internal', message: 'The server failed to answer this request' });
      else res.destroy();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!isAllowedHost(req.headers.host, allowed)) {
      sendText(res, 403, 'This server only answers requests addressed to 127.0.0.1 or localhost.');
      return;
    }
    const pathname = pathnameOf(req.url);
    if (pathname === null) {
      sendText(res, 400, 'Bad request URL');
      return;
    }
    if (pathname.startsWith(API_PREFIX)) {
      if (!isAllowedOrigin(headerValue(req.headers.origin), allowed)) {
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
    if (pathname === transportNames.wsPath) {
      sendText(res, 426, 'Connect with a WebSocket', 'text/plain; charset=utf-8');
      return;
    }
    await handleStaticRequest(req, res, pathname, { rendererDir, connectSrc });
  }

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const reject = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!isAllowedHost(req.headers.host, allowed)) return reject('403 Forbidden');
    if (pathnameOf(req.url) !== transportNames.wsPath) return reject('404 Not Found');
    if (!isAllowedOrigin(headerValue(req.headers.origin), allowed)) return reject('403 Forbidden');
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
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const origin = `http://${urlHost}:${boundPort}`;
  // The WebSocket is same-origin; older engines do not treat ws: as 'self', so name it.
  connectSrc = [`ws://${urlHost}:${boundPort}`];

  let closing: Promise<void> | null = null;
  return {
    host,
    port: boundPort,
    token,
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
