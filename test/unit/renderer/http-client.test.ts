/**
 * The serve-mode client against a tiny node:http + ws server that speaks the wire format of
 * shared/api.ts (not the real server: this pins the client's side of the contract).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { PresetSchema, transportNames } from '../../../shared/api.ts';
import { ApiError, HTTP_STATUS_OF } from '../../../shared/api-error.ts';
import { PRESETS } from '../../../shared/run-config.ts';
import { backoffDelay, createHttpClient, DEFAULT_RECONNECT, type WebSocketConstructor } from '../../../src-renderer/api/http-client.ts';
import { waitFor } from '../../fixtures/wait-for.ts';

const TOKEN = 'unit-token-123';

interface Seen {
  path: string;
  auth: string | undefined;
  body: unknown;
}

let server: Server;
let wss: WebSocketServer;
let baseUrl: string;
let seen: Seen[] = [];
/** What the next /api call answers: [status, raw body]. */
let answer: (req: Seen) => [number, string];
let wsUpgrades: string[] = [];

const summary = {
  id: 'r1',
  name: 'demo',
  preset: 'mnist-demo',
  arch: 'small-convnet',
  datasetKind: 'mnist',
  status: 'running',
  createdAt: '2025-01-01T00:00:00.000Z',
  startedAt: null,
  endedAt: null,
  error: null,
  backend: 'cpu',
  device: null,
  epochs: 2,
  epochsDone: 0,
  version: 1,
  metrics: {},
};

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

before(async () => {
  server = createServer(async (req, res) => {
    const s: Seen = { path: req.url ?? '', auth: req.headers.authorization, body: await readBody(req) };
    seen.push(s);
    const [status, body] = answer(s);
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(body);
  });
  wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    wsUpgrades.push(req.url ?? '');
    const url = new URL(req.url ?? '', 'http://x');
    if (url.pathname !== transportNames.wsPath || url.searchParams.get('token') !== TOKEN) {
      socket.write('HTTP/1.1 401 Unauthorized\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  for (const c of wss.clients) c.terminate();
  wss.close();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

beforeEach(() => {
  seen = [];
  wsUpgrades = [];
  answer = () => [500, JSON.stringify({ ok: false, error: { code: 'internal', message: 'no answer set' } })];
});

function client(token = TOKEN) {
  return createHttpClient({
    baseUrl,
    token,
    WebSocketImpl: WebSocket as unknown as WebSocketConstructor,
    reconnect: { initialMs: 20, maxMs: 80 },
    random: () => 0.5,
  });
}

describe('http client calls', () => {
  test('POSTs to /api/<method> with the bearer token and parses the result with the output schema', async () => {
    const preset = PresetSchema.parse(PRESETS[0]);
    // the server may omit fields that have defaults; the client's parse fills them in
    const sparse = structuredClone(preset) as Record<string, unknown> & { config: Record<string, unknown> };
    delete sparse.config.nesterov;
    answer = () => [200, JSON.stringify({ ok: true, result: [sparse] })];
    const c = client();
    const list = await c.call('presets.list', {});
    assert.equal(seen.length, 1);
    assert.equal(seen[0].path, '/api/presets.list');
    assert.equal(seen[0].auth, `Bearer ${TOKEN}`);
    assert.deepEqual(seen[0].body, {});
    assert.equal(list[0].id, 'mnist-demo');
    assert.equal(list[0].config.nesterov, true);
    c.close();
  });

  test('sends the input as the JSON body', async () => {
    answer = () => [200, JSON.stringify({ ok: true, result: [] })];
    const c = client();
    await c.call('runs.logs', { id: 'r1', afterId: 7, limit: 50 });
    assert.deepEqual(seen[0].body, { id: 'r1', afterId: 7, limit: 50 });
    c.close();
  });

  test('an error answer with issues becomes an ApiError carrying code and issues', async () => {
    const issues = [{ path: 'config.epochs', message: 'Too small: expected number to be >=1' }];
    answer = () => [HTTP_STATUS_OF.invalid_input, JSON.stringify({ ok: false, error: { code: 'invalid_input', message: 'Invalid input', issues } })];
    const c = client();
    const err = await c.call('runs.get', { id: 'r1' }).then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 'invalid_input');
    assert.deepEqual(err.issues, issues);
    c.close();
  });

  test('401 with a CallResult body is unauthorized', async () => {
    answer = () => [401, JSON.stringify({ ok: false, error: { code: 'unauthorized', message: 'wrong token' } })];
    const c = client('bad');
    await assert.rejects(c.call('runs.list', {}), (e: unknown) => e instanceof ApiError && e.code === 'unauthorized' && e.message === 'wrong token');
    c.close();
  });

  test('401 without a JSON body is unauthorized too', async () => {
    answer = () => [401, 'Unauthorized'];
    const c = client('bad');
    await assert.rejects(c.call('runs.list', {}), (e: unknown) => e instanceof ApiError && e.code === 'unauthorized');
    c.close();
  });

  test('a result that does not match the output schema is an internal error naming the method', async () => {
    answer = () => [200, JSON.stringify({ ok: true, result: { runs: [{ ...summary, status: 'exploded' }], total: 1, next: null } })];
    const c = client();
    await assert.rejects(c.call('runs.list', {}), (e: unknown) => e instanceof ApiError && e.code === 'internal' && /runs\.list/.test(e.message) && /status/.test(e.message));
    c.close();
  });

  test('an invalid input is refused before anything is sent', async () => {
    const c = client();
    await assert.rejects(
      c.call('runs.get', { id: 'not a valid id!' }),
      (e: unknown) => e instanceof ApiError && e.code === 'invalid_input' && e.issues?.[0]?.path === 'id',
    );
    assert.equal(seen.length, 0);
    c.close();
  });

  test('an unreachable server is unavailable', async () => {
    const c = createHttpClient({ baseUrl: 'http://127.0.0.1:1', token: TOKEN });
    await assert.rejects(c.call('runs.list', {}), (e: unknown) => e instanceof ApiError && e.code === 'unavailable');
    c.close();
  });
});

describe('http client events', () => {
  test('delivers validated events from /events?token= and drops malformed ones', async () => {
    const c = client();
    const changed: string[] = [];
    const progress: number[] = [];
    c.on('run.changed', (r) => changed.push(r.status));
    c.on('run.progress', (p) => progress.push(p.iteration));
    await waitFor(() => c.connection === 'open', 'the link open', 3000);
    assert.equal(wsUpgrades.length, 1);
    assert.equal(wsUpgrades[0], `${transportNames.wsPath}?token=${TOKEN}`);
    const [ws] = [...wss.clients];
    ws.send(JSON.stringify({ event: 'run.changed', payload: { ...summary, status: 'completed' } }));
    ws.send(JSON.stringify({ event: 'run.changed', payload: { ...summary, status: 'bogus' } })); // invalid: dropped
    ws.send('not json'); // dropped
    ws.send(JSON.stringify({ event: 'run.future', payload: {} })); // unknown: ignored
    ws.send(JSON.stringify({ event: 'run.progress', payload: { runId: 'r1', phase: 'train', epoch: 1, epochs: 2, iteration: 5, iterations: 10, imagesPerSec: 100, etaSeconds: 3 } }));
    await waitFor(() => progress.length === 1, 'one progress event', 3000);
    assert.deepEqual(changed, ['completed']);
    assert.deepEqual(progress, [5]);
    c.close();
  });

  test('an unsubscribed listener hears nothing more', async () => {
    const c = client();
    const got: number[] = [];
    const off = c.on('run.log', (l) => got.push(l.id));
    await waitFor(() => c.connection === 'open', 'the link open', 3000);
    const ws = [...wss.clients].at(-1)!;
    ws.send(JSON.stringify({ event: 'run.log', payload: { id: 1, runId: 'r1', level: 'info', message: 'a', wallTime: 1 } }));
    await waitFor(() => got.length === 1, 'one event', 3000);
    off();
    ws.send(JSON.stringify({ event: 'run.log', payload: { id: 2, runId: 'r1', level: 'info', message: 'b', wallTime: 2 } }));
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(got, [1]);
    c.close();
  });

  test('reconnects with backoff after the socket drops, and events flow again', async () => {
    const c = client();
    const states: string[] = [];
    c.onConnection((s) => states.push(s));
    const got: number[] = [];
    c.on('run.log', (l) => got.push(l.id));
    await waitFor(() => c.connection === 'open', 'the link open', 3000);
    for (const ws of wss.clients) ws.terminate();
    await waitFor(() => states.includes('reconnecting'), 'reconnecting', 3000);
    await waitFor(() => c.connection === 'open' && wsUpgrades.length >= 2, 'the link reopened', 3000);
    const ws = [...wss.clients].at(-1)!;
    ws.send(JSON.stringify({ event: 'run.log', payload: { id: 9, runId: 'r1', level: 'info', message: 'back', wallTime: 2 } }));
    await waitFor(() => got.length === 1, 'one event', 3000);
    assert.deepEqual(got, [9]);
    assert.deepEqual(states.slice(-2), ['reconnecting', 'open']);
    c.close();
    assert.equal(c.connection, 'closed');
  });

  test('keeps retrying a refused token without giving up, and stops when closed', async () => {
    const c = client('wrong');
    c.on('run.log', () => {});
    await waitFor(() => wsUpgrades.length >= 3, 'a third upgrade', 3000);
    assert.equal(c.connection, 'reconnecting');
    c.close();
    const n = wsUpgrades.length;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(wsUpgrades.length, n);
  });
});

test('backoff grows by the factor, is capped, and jitters by at most 20 %', () => {
  const p = DEFAULT_RECONNECT;
  assert.equal(backoffDelay(0, p, () => 0.5), 500);
  assert.equal(backoffDelay(1, p, () => 0.5), 1000);
  assert.equal(backoffDelay(10, p, () => 0.5), p.maxMs);
  assert.equal(backoffDelay(0, p, () => 0), 400);
  assert.equal(backoffDelay(0, p, () => 1), 600);
  assert.equal(backoffDelay(20, p, () => 1), p.maxMs);
});

test('placeFile: a file over the core\'s limit is refused before sending; otherwise sent with the token and its name, answering the stored path or the refusal', async () => {
  let limitCalls = 0;
  const sent: { url: string; headers: Record<string, string>; size: number }[] = [];
  const progress: number[] = [];
  let reply: [number, unknown] = [200, { ok: true, result: { kind: 'image', name: 'a b.png', bytes: 10, path: '/home/cache/uploads/1-x/a b.png' } }];
  const c = createHttpClient({
    baseUrl: 'http://core.test',
    token: TOKEN,
    fetchImpl: async (url) => {
      assert.equal(url, 'http://core.test/api/uploads.limits');
      limitCalls++;
      return { status: 200, text: async () => JSON.stringify({ ok: true, result: { image: 100, model: 1000 } }) };
    },
    sendFileImpl: async (url, init) => {
      sent.push({ url, headers: init.headers, size: init.body.size });
      init.onProgress?.(5, 10);
      return { status: reply[0], text: async () => JSON.stringify(reply[1]) };
    },
  });
  assert.deepEqual(await c.placeFile({ name: 'a b.png', size: 10 }, 'image', (s) => progress.push(s)), { path: '/home/cache/uploads/1-x/a b.png', name: 'a b.png', bytes: 10 });
  assert.deepEqual(sent, [{ url: 'http://core.test/uploads/image', headers: { 'Content-Type': 'application/octet-stream', Authorization: `Bearer ${TOKEN}`, 'x-snca-file-name': 'a%20b.png' }, size: 10 }]);
  assert.deepEqual(progress, [5]);
  await assert.rejects(c.placeFile({ name: 'big.png', size: 101 }, 'image'), (e: ApiError) => e.code === 'invalid_input' && /big\.png is 101 bytes; this server accepts images of up to 100 bytes/.test(e.message));
  assert.equal(sent.length, 1, 'nothing sent');
  reply = [415, { ok: false, error: { code: 'invalid_input', message: 'x.pth is not a PyTorch checkpoint' } }];
  await assert.rejects(c.placeFile({ name: 'x.pth', size: 500 }, 'model'), (e: ApiError) => e.code === 'invalid_input' && /not a PyTorch checkpoint/.test(e.message));
  assert.equal(limitCalls, 1, 'the limits are asked once');
  c.close();
});
