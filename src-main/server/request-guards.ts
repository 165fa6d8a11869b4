/**
 * Checks every request passes before it reaches a route: the Host header must name this
 * machine (a DNS-rebinding page reaches 127.0.0.1 under its own host name), an Origin, when
 * sent, must be local too, and /api and /events need the bearer token.
 */
import type { IncomingMessage } from 'node:http';
import { tokensEqual } from './access-token.ts';

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '::1'];

/** Host names accepted in Host/Origin headers: loopback names plus the bound address when specific. */
export function allowedHostNames(boundHost: string): Set<string> {
  const names = new Set(LOOPBACK_NAMES);
  const h = stripBrackets(boundHost.toLowerCase());
  if (h !== '0.0.0.0' && h !== '::' && h !== '') names.add(h);
  return names;
}

function stripBrackets(h: string): string {
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/** The host name of a Host header value (`127.0.0.1:4170`, `[::1]:4170`, `localhost`), lowercased. */
export function hostNameOf(hostHeader: string | undefined): string | null {
  if (!hostHeader) return null;
  try {
    return stripBrackets(new URL(`http://${hostHeader}`).hostname.toLowerCase());
  } catch {
    return null;
  }
}

export function isAllowedHost(hostHeader: string | undefined, allowed: ReadonlySet<string>): boolean {
  const name = hostNameOf(hostHeader);
  return name !== null && allowed.has(name);
}

/** An absent Origin (curl, same-origin navigation) is fine; a present one must be local. */
export function isAllowedOrigin(origin: string | undefined, allowed: ReadonlySet<string>): boolean {
  if (origin === undefined) return true;
  try {
    const u = new URL(origin);
    return (u.protocol === 'http:' || u.protocol === 'https:') && allowed.has(stripBrackets(u.hostname.toLowerCase()));
  } catch {
    return false;
  }
}

/** The token from `Authorization: Bearer …`, or for WebSockets (browsers cannot set headers) `?token=`. */
export function presentedToken(req: IncomingMessage, allowQuery: boolean): string | null {
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m ? m[1]! : null;
  }
  if (!allowQuery) return null;
  try {
    return new URL(req.url ?? '/', 'http://localhost').searchParams.get('token');
  } catch {
    return null;
  }
}

export function isAuthorized(req: IncomingMessage, token: string, allowQuery: boolean): boolean {
  const presented = presentedToken(req, allowQuery);
  return presented !== null && tokensEqual(presented, token);
}
