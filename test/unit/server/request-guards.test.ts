import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { createAccessToken, tokensEqual } from '../../../src-main/server/access-token.ts';
import { allowedHostNames, hostNameOf, isAllowedHost, isAllowedOrigin, isAuthorized } from '../../../src-main/server/request-guards.ts';

const req = (headers: Record<string, string>, url = '/'): IncomingMessage => ({ headers, url }) as unknown as IncomingMessage;

test('Host header: loopback names with any port pass; other names (DNS rebinding) do not', () => {
  const allowed = allowedHostNames('127.0.0.1');
  for (const h of ['127.0.0.1:4170', 'localhost:4170', 'LOCALHOST', '[::1]:4170', '127.0.0.1']) assert.ok(isAllowedHost(h, allowed), h);
  for (const h of [undefined, '', 'evil.example:4170', '127.0.0.1.evil.example', 'attacker.com', '0.0.0.0:4170', 'a b']) {
    assert.equal(isAllowedHost(h, allowed), false, String(h));
  }
  assert.equal(hostNameOf('[::1]:80'), '::1');
  // Binding a specific LAN address adds that address, never a wildcard.
  assert.ok(isAllowedHost('192.168.1.5:4170', allowedHostNames('192.168.1.5')));
  assert.equal(isAllowedHost('0.0.0.0:4170', allowedHostNames('0.0.0.0')), false);
});

test('Origin: absent is fine, local passes, foreign or malformed fails', () => {
  const allowed = allowedHostNames('127.0.0.1');
  assert.ok(isAllowedOrigin(undefined, allowed));
  assert.ok(isAllowedOrigin('http://127.0.0.1:4170', allowed));
  assert.ok(isAllowedOrigin('http://localhost:5173', allowed));
  assert.equal(isAllowedOrigin('https://evil.example', allowed), false);
  assert.equal(isAllowedOrigin('null', allowed), false);
  assert.equal(isAllowedOrigin('file://', allowed), false);
});

test('token: bearer header for the API, query only where allowed (WebSocket), constant-time compare', () => {
  const token = createAccessToken();
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(createAccessToken(), token);
  assert.ok(tokensEqual(token, token));
  assert.equal(tokensEqual(token.slice(1), token), false);
  assert.equal(tokensEqual('', token), false);
  assert.ok(isAuthorized(req({ authorization: `Bearer ${token}` }), token, false));
  assert.ok(isAuthorized(req({ authorization: `bearer ${token}` }), token, false));
  assert.equal(isAuthorized(req({ authorization: `Basic ${token}` }), token, false), false);
  assert.equal(isAuthorized(req({}, `/api/x?token=${token}`), token, false), false, 'no query token for the API');
  assert.ok(isAuthorized(req({}, `/events?token=${token}`), token, true));
  assert.equal(isAuthorized(req({}, `/events?token=wrong`), token, true), false);
  assert.equal(isAuthorized(req({}, '/events'), token, true), false);
});
