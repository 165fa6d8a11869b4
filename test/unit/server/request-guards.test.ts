import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { createAccessToken, tokensEqual } from '../../../src-main/server/access-token.ts';
import { allowedHostNames, hostNameOf, isAllowedHost, isAllowedOrigin, isAuthorized, isLoopbackBind } from '../../../src-main/server/request-guards.ts';

const req = (headers: Record<string, string>, url = '/'): IncomingMessage => ({ headers, url }) as unknown as IncomingMessage;

const policy = (host: string, publicNames: string[] = [], scheme: 'http' | 'https' = 'http') => ({ scheme, hostNames: allowedHostNames(host, publicNames) });

test('Host header: loopback names with any port pass; other names (DNS rebinding) do not', () => {
  const allowed = policy('127.0.0.1');
  for (const h of ['127.0.0.1:4170', 'localhost:4170', 'LOCALHOST', '[::1]:4170', '127.0.0.1']) assert.ok(isAllowedHost(h, allowed), h);
  for (const h of [undefined, '', 'evil.example:4170', '127.0.0.1.evil.example', 'attacker.com', '0.0.0.0:4170', 'a b']) {
    assert.equal(isAllowedHost(h, allowed), false, String(h));
  }
  assert.equal(hostNameOf('[::1]:80'), '::1');
});

test('off loopback only the public names (or the specific bound address) pass, never a loopback name', () => {
  const lan = policy('192.168.1.5');
  assert.ok(isAllowedHost('192.168.1.5:4170', lan));
  assert.equal(isAllowedHost('127.0.0.1:4170', lan), false, 'a network client sending Host: 127.0.0.1');
  assert.equal(isAllowedHost('localhost', lan), false);
  const named = policy('0.0.0.0', ['snca.lab.example', 'gpu01:8443']);
  assert.ok(isAllowedHost('snca.lab.example:4170', named));
  assert.ok(isAllowedHost('GPU01:8443', named));
  for (const h of ['0.0.0.0:4170', '127.0.0.1:4170', 'localhost:4170', '192.168.1.5:4170']) assert.equal(isAllowedHost(h, named), false, h);
  assert.deepEqual([...policy('127.0.0.2', ['snca.test']).hostNames], ['snca.test']);
  assert.throws(() => allowedHostNames('0.0.0.0'), /every interface; name the host clients will use with --public-name/);
  assert.throws(() => allowedHostNames('::'), /--public-name/);
  assert.throws(() => allowedHostNames('0.0.0.0', ['a b']), /is not a host name/);
  assert.ok(isLoopbackBind('::1') && isLoopbackBind('[::1]') && isLoopbackBind('localhost') && !isLoopbackBind('127.0.0.2'));
});

test('Origin: absent is fine; present it must match scheme, host AND port of the request', () => {
  const local = policy('127.0.0.1');
  assert.ok(isAllowedOrigin(undefined, '127.0.0.1:4170', local));
  assert.ok(isAllowedOrigin('http://127.0.0.1:4170', '127.0.0.1:4170', local));
  assert.ok(isAllowedOrigin('http://localhost:8080', 'localhost:8080', local), 'through an SSH tunnel on another port');
  assert.equal(isAllowedOrigin('http://localhost:5173', '127.0.0.1:4170', local), false, 'another local server (other port)');
  assert.equal(isAllowedOrigin('http://localhost:5173', 'localhost:4170', local), false, 'same name, other port');
  assert.equal(isAllowedOrigin('http://127.0.0.1:4170', 'localhost:4170', local), false, 'other name, same port');
  assert.equal(isAllowedOrigin('https://127.0.0.1:4170', '127.0.0.1:4170', local), false, 'other scheme');
  assert.equal(isAllowedOrigin('https://evil.example', '127.0.0.1:4170', local), false);
  assert.equal(isAllowedOrigin('null', '127.0.0.1:4170', local), false);
  assert.equal(isAllowedOrigin('file://', '127.0.0.1:4170', local), false);
  assert.equal(isAllowedOrigin('http://evil.example:4170', 'evil.example:4170', local), false, 'a rebinding page is refused by name');
  const tls = policy('0.0.0.0', ['snca.test'], 'https');
  assert.ok(isAllowedOrigin('https://snca.test', 'snca.test:443', tls), 'default port spelled out or not');
  assert.ok(isAllowedOrigin('https://snca.test:443', 'snca.test', tls));
  assert.equal(isAllowedOrigin('http://snca.test', 'snca.test', tls), false);
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
