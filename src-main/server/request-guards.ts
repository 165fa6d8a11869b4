/**
 * Checks every request passes before it reaches a route: the Host header must name this
 * server (a DNS-rebinding page reaches 127.0.0.1 under its own host name), an Origin, when
 * sent, must be this very server (scheme, host and port), and /api and /events need the
 * bearer token.
 */
import type { IncomingMessage } from 'node:http';
import { tokensEqual } from './access-token.ts';

/** The names a default (loopback) server answers to. */
export const LOOPBACK_NAMES: readonly string[] = ['127.0.0.1', 'localhost', '::1'];

const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::', '']);

/** Who may talk to the server: the names clients use for it, and its scheme. */
export interface AccessPolicy {
  readonly scheme: 'http' | 'https';
  /** Lowercase host names without brackets or port. */
  readonly hostNames: ReadonlySet<string>;
}

export class AccessPolicyError extends Error {
  override readonly name = 'AccessPolicyError';
}

/** Whether `host` is one of the default loopback names, where no public name is needed. */
export function isLoopbackBind(host: string): boolean {
  return LOOPBACK_NAMES.includes(stripBrackets(host.toLowerCase()));
}

/**
 * The Host names accepted for a server bound on `boundHost`.
 * - On a loopback name: the loopback names, plus any public names.
 * - Anywhere else (remote access, a deliberate mode): only the public names, or the bound
 *   address itself when it is a specific one. Loopback names are refused there, so a client on
 *   the network cannot pass the check by sending `Host: 127.0.0.1`.
 * A wildcard bind (0.0.0.0, ::) needs public names: it has no name of its own.
 */
export function allowedHostNames(boundHost: string, publicNames: readonly string[] = []): Set<string> {
  const bound = stripBrackets(boundHost.trim().toLowerCase());
  const names = publicNames.map((n) => {
    const name = hostNameOf(n);
    if (name === null) throw new AccessPolicyError(`--public-name ${JSON.stringify(n)} is not a host name`);
    return name;
  });
  if (isLoopbackBind(bound)) return new Set([...LOOPBACK_NAMES, bound, ...names]);
  if (names.length > 0) return new Set(names);
  if (WILDCARD_ADDRESSES.has(bound)) {
    throw new AccessPolicyError(`--host ${boundHost} listens on every interface; name the host clients will use with --public-name NAME`);
  }
  return new Set([bound]);
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

/**
 * Host names are checked without the port: an SSH tunnel or a proxy reaches the server under
 * a port of its own. The Origin check below holds the port.
 */
export function isAllowedHost(hostHeader: string | undefined, policy: AccessPolicy): boolean {
  const name = hostNameOf(hostHeader);
  return name !== null && policy.hostNames.has(name);
}

/**
 * An absent Origin (curl, same-origin navigation) is fine. A present one must be the origin
 * the request was addressed to: the server's scheme, and the host and port of the Host
 * header (default ports spelled out or not). A page of another local server
 * (`http://localhost:5173`) therefore fails even though its host name is allowed.
 */
export function isAllowedOrigin(origin: string | undefined, hostHeader: string | undefined, policy: AccessPolicy): boolean {
  if (origin === undefined) return true;
  if (!isAllowedHost(hostHeader, policy)) return false;
  try {
    const sent = new URL(origin);
    const addressed = new URL(`${policy.scheme}://${hostHeader ?? ''}`);
    return sent.protocol === `${policy.scheme}:` && sent.origin === addressed.origin && policy.hostNames.has(stripBrackets(sent.hostname.toLowerCase()));
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
