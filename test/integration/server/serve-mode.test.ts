/** Serve mode over real HTTP and WebSocket: a core with a fake worker behind startServer on a random port. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { METHOD_NAMES, type EventEnvelope } from '../../../shared/api.ts';
import { startServer, type RunningServer } from '../../../src-main/server/http-server.ts';
import { demoConfig } from '../../fixtures/run-records.ts';
import { makeTempDir, type TempDir } from '../../fixtures/temp-home.ts';
import { startTestCore, type TestCore } from '../../fixtures/test-core.ts';

let t: TestCore;
let server: RunningServer;
let web: TempDir;

before(async () => {
  t = await startTestCore('completing');
  web = makeTempDir('snca-web-');
  mkdirSync(join(web.dir, 'assets'));
  writeFileSync(join(web.dir, 'index.html'), '<!doctype html><title>SNCA</title>');
  writeFileSync(join(web.dir, 'assets', 'app-1.js'), 'export {}');
  server = await startServer({ handlers: t.core.handlers, bus: t.core.bus, port: 0, rendererDir: web.dir, bodyLimitBytes: 64 * 1024, diagnostics: () => {} });
});

after(async () => {
  await server.close();
  await t.dispose();
  web.cleanup();
});

async function call(method: string, body: unknown, token: string | null = server.token, init: { contentType?: string; raw?: string } = {}) {
  const headers: Record<string, string> = { 'Content-Type': init.contentType ?? 'application/json' };
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`${server.origin}/api/${method}`, { method: 'POST', headers, body: init.raw ?? JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { ok: boolean; result?: unknown; error?: { code: string; message: string; issues?: { path: string }[] } } };
}

function rawGet(path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: 'GET', headers: { Host: host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function openEvents(token: string): Promise<{ ws: WebSocket; events: EventEnvelope[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events?token=${encodeURIComponent(token)}`);
    const events: EventEnvelope[] = [];
    ws.on('message', (data) => events.push(JSON.parse(String(data)) as EventEnvelope));
    ws.once('open', () => resolve({ ws, events }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

test('the start URL carries the token and the loopback origin', () => {
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
  assert.ok(server.port > 0);
});

test('static files: index with CSP, SPA fallback, hashed assets cached, missing asset 404', { timeout: 60_000 }, async () => {
  const index = await fetch(`${server.origin}/`);
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(index.headers.get('content-security-policy') ?? '', new RegExp(`connect-src 'self' ws://127\\.0\\.0\\.1:${server.port}`));
  assert.equal(index.headers.get('referrer-policy'), 'no-referrer');
  assert.equal((await fetch(`${server.origin}/runs/abc`)).status, 200);
  const js = await fetch(`${server.origin}/assets/app-1.js`);
  assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.match(js.headers.get('cache-control') ?? '', /immutable/);
  assert.equal((await fetch(`${server.origin}/assets/nope.js`)).status, 404);
  assert.equal((await fetch(`${server.origin}/`, { method: 'DELETE' })).status, 405);
});

test('a foreign Host header is refused (DNS rebinding); localhost is accepted', { timeout: 60_000 }, async () => {
  assert.equal((await rawGet('/', 'evil.example:80')).status, 403);
  assert.equal((await rawGet('/api/runs.list', 'evil.example')).status, 403);
  assert.equal((await rawGet('/', `localhost:${server.port}`)).status, 200);
});

test('Origin must be this server (scheme, host and port): another local page is refused on /api and /events', { timeout: 60_000 }, async () => {
  const withOrigin = (origin: string) =>
    fetch(`${server.origin}/api/runs.list`, { method: 'POST', headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json', Origin: origin }, body: '{}' });
  assert.equal((await withOrigin(server.origin)).status, 200);
  for (const origin of ['http://localhost:5173', `http://127.0.0.1:${server.port + 1}`, `https://127.0.0.1:${server.port}`]) {
    assert.equal((await withOrigin(origin)).status, 403, origin);
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events?token=${server.token}`, { origin });
    const status = await new Promise<number>((resolve) => {
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => resolve(101));
      ws.once('error', () => resolve(-1));
    });
    ws.terminate();
    assert.equal(status, 403, `/events from ${origin}`);
  }
});

test('/api needs the bearer token: 401 without it or with a wrong one', { timeout: 60_000 }, async () => {
  const none = await call('runs.list', {}, null);
  assert.equal(none.status, 401);
  assert.equal(none.body.error?.code, 'unauthorized');
  assert.equal((await call('runs.list', {}, 'wrong')).status, 401);
  const viaQuery = await fetch(`${server.origin}/api/runs.list?token=${server.token}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
  assert.equal(viaQuery.status, 401, 'the API does not accept the token in the URL');
});

test('every contract method has its route (POST /api/<method>)', { timeout: 60_000 }, async () => {
  for (const m of METHOD_NAMES) {
    const r = await call(m, {});
    assert.doesNotMatch(r.body.error?.message ?? '', /Unknown API method/, m);
    assert.ok(r.status === 200 || r.status === 400, `${m}: ${r.status}`);
  }
});

test('/events needs the token', { timeout: 60_000 }, async () => {
  await assert.rejects(openEvents('wrong'), /HTTP 401/);
  const ok = await openEvents(server.token);
  ok.ws.close();
});

test('bad input: 400 naming the field; unknown method 404; wrong verb 405; bad JSON 400; non-JSON 415; too large 413', { timeout: 60_000 }, async () => {
  const bad = await call('runs.create', { config: { ...demoConfig(), batchSize: 0 } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error?.code, 'invalid_input');
  assert.equal(bad.body.error?.issues?.[0]?.path, 'config.batchSize');
  assert.match(bad.body.error?.message ?? '', /config\.batchSize/);
  const missingId = await call('runs.get', {});
  assert.equal(missingId.status, 400);
  assert.equal(missingId.body.error?.issues?.[0]?.path, 'id');
  assert.equal((await call('runs.destroy', {})).status, 404);
  assert.equal((await call('runs.get', { id: 'absent' })).status, 404);
  const get = await fetch(`${server.origin}/api/runs.list`, { headers: { Authorization: `Bearer ${server.token}` } });
  assert.equal(get.status, 405);
  const notJson = await call('runs.list', null, server.token, { raw: '{nope' });
  assert.equal(notJson.status, 400);
  assert.match(notJson.body.error?.message ?? '', /not valid JSON/);
  assert.equal((await call('runs.list', null, server.token, { raw: '{}', contentType: 'text/plain' })).status, 415);
  const big = await call('runs.list', null, server.token, { raw: JSON.stringify({ pad: 'x'.repeat(70 * 1024) }) });
  assert.equal(big.status, 413);
});

test('create, list, get over HTTP, with the run events arriving on the WebSocket', { timeout: 60_000 }, async () => {
  const { ws, events } = await openEvents(server.token);
  try {
    const created = await call('runs.create', { config: demoConfig({ name: 'over http', epochs: 1, batchSize: 10 }) });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const id = (created.body.result as { id: string }).id;
    const deadline = Date.now() + 15_000;
    while (!events.some((e) => e.event === 'run.changed' && e.payload.id === id && e.payload.status === 'completed')) {
      if (Date.now() > deadline) throw new Error(`no completed event; got ${events.map((e) => e.event).join(',')}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    const kinds = new Set(events.map((e) => e.event));
    for (const k of ['run.changed', 'run.progress', 'run.metrics', 'run.log']) assert.ok(kinds.has(k as EventEnvelope['event']), k);
    const list = await call('runs.list', {});
    assert.ok((list.body.result as { runs: { id: string; status: string }[] }).runs.some((r) => r.id === id && r.status === 'completed'));
    const detail = await call('runs.get', { id });
    assert.equal((detail.body.result as { config: { name: string } }).config.name, 'over http');
    const metrics = await call('runs.metrics', { id, keys: ['loss'], maxPoints: 4 });
    assert.equal((metrics.body.result as { value: number[] }[])[0]!.value.length, 4);
  } finally {
    ws.close();
  }
});

test('a missing renderer build gives a 503 page saying to run npm run build', { timeout: 60_000 }, async () => {
  const bare = await startServer({ handlers: t.core.handlers, bus: t.core.bus, port: 0, rendererDir: join(web.dir, 'missing') });
  try {
    const res = await fetch(`${bare.origin}/`);
    assert.equal(res.status, 503);
    assert.match(await res.text(), /npm run build/);
    assert.notEqual(bare.token, server.token, 'each server gets its own random token');
  } finally {
    await bare.close();
  }
});

test('a taken port gives a clear error; shutdown closes WebSocket clients', { timeout: 60_000 }, async () => {
  await assert.rejects(
    startServer({ handlers: t.core.handlers, bus: t.core.bus, port: server.port }),
    /already in use; pass --port 0/,
  );
  const other = await startServer({ handlers: t.core.handlers, bus: t.core.bus, port: 0, rendererDir: web.dir });
  const ws = new WebSocket(`ws://127.0.0.1:${other.port}/events?token=${other.token}`);
  await new Promise((r) => ws.once('open', r));
  const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
  await other.close();
  assert.equal(await closed, 1001);
});
