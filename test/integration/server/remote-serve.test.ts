/**
 * Serve mode off the default loopback bind, on a second loopback address (127.0.0.2) standing
 * in for a network interface: only the public name is answered, HTTPS + WSS with a
 * certificate, and the log never shows the token.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { join } from 'node:path';
import WebSocket from 'ws';
import { runCli } from '../../../src-main/cli/program.ts';
import { startServer } from '../../../src-main/server/http-server.ts';
import { recordingContext } from '../../fixtures/cli-context.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';
import { startTestCore, type TestCore } from '../../fixtures/test-core.ts';

const TLS_DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'tls');
const cert = readFileSync(join(TLS_DIR, 'cert.pem'));

let t: TestCore;
before(async () => {
  t = await startTestCore('completing');
});
after(async () => {
  await t.dispose();
});

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function send(opts: { tls?: boolean; port: number; path: string; host: string; method?: string; headers?: Record<string, string>; body?: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const base = { host: '127.0.0.2', port: opts.port, path: opts.path, method: opts.method ?? 'GET', headers: { Host: opts.host, ...opts.headers } };
    const onResponse = (res: import('node:http').IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    };
    const req = opts.tls ? httpsRequest({ ...base, ca: cert, servername: 'snca.test' }, onResponse) : httpRequest(base, onResponse);
    req.on('error', reject);
    req.end(opts.body);
  });
}

const api = (token: string) => ({ method: 'POST', path: '/api/system.info', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: '{}' });

async function waitForUrl(out: () => string, err: () => string): Promise<URL> {
  const deadline = Date.now() + 10_000;
  let m: RegExpExecArray | null;
  while (!(m = /(https?:\/\/\S+\/\?token=\S+)/.exec(out()))) {
    if (Date.now() > deadline) throw new Error(`no URL printed: ${out()} ${err()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return new URL(m[1]!);
}

test('snca serve --host 127.0.0.2 --public-name: URL with that name, only that Host answered, SSH-tunnel warning', { timeout: 60_000 }, async () => {
  const tmp = makeTempDir();
  try {
    const ctx = recordingContext({ home: tmp.dir });
    const done = runCli(['serve', '--host', '127.0.0.2', '--port', '0', '--public-name', 'snca.test'], ctx);
    const url = await waitForUrl(ctx.out, ctx.err);
    assert.equal(url.protocol, 'http:');
    assert.equal(url.hostname, 'snca.test');
    const port = Number(url.port);
    assert.match(ctx.err(), /warning: serving plain HTTP on 127\.0\.0\.2: .*SSH tunnel.*ssh -N -L \d+:127\.0\.0\.1:\d+ .*--tls-cert and --tls-key/);
    const token = url.searchParams.get('token')!;
    const ok = await send({ port, host: `snca.test:${port}`, ...api(token) });
    assert.equal(ok.status, 200, ok.body);
    // A client on the network naming a loopback host, with the token, is refused.
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `127.0.0.2:${port}`]) {
      const refused = await send({ port, host, ...api(token) });
      assert.equal(refused.status, 403, host);
      assert.match(refused.body, /only answers requests addressed to snca\.test/);
    }
    ctx.interrupt();
    assert.equal(await done, 0);
  } finally {
    tmp.cleanup();
  }
});

test('snca serve --host 0.0.0.0 without --public-name, or half a TLS pair, is refused (exit 1)', { timeout: 60_000 }, async () => {
  const tmp = makeTempDir();
  try {
    const wild = recordingContext({ home: tmp.dir });
    assert.equal(await runCli(['serve', '--host', '0.0.0.0', '--port', '0'], wild), 1);
    assert.match(wild.err(), /--host 0\.0\.0\.0 listens on every interface; name the host clients will use with --public-name NAME/);
    const half = recordingContext({ home: tmp.dir });
    assert.equal(await runCli(['serve', '--host', '127.0.0.2', '--port', '0', '--tls-cert', join(TLS_DIR, 'cert.pem')], half), 1);
    assert.match(half.err(), /--tls-cert and --tls-key go together/);
    const missing = recordingContext({ home: tmp.dir });
    assert.equal(await runCli(['serve', '--port', '0', '--tls-cert', join(tmp.dir, 'nope.pem'), '--tls-key', join(TLS_DIR, 'key.pem')], missing), 1);
    assert.match(missing.err(), /--tls-cert .*nope\.pem: no such file/);
  } finally {
    tmp.cleanup();
  }
});

test('with --tls-cert/--tls-key: HTTPS and WSS under the public name, no plain-HTTP warning, plain HTTP not spoken', { timeout: 60_000 }, async () => {
  const tmp = makeTempDir();
  try {
    const ctx = recordingContext({ home: tmp.dir });
    const done = runCli(
      ['serve', '--host', '127.0.0.2', '--port', '0', '--public-name', 'snca.test', '--tls-cert', join(TLS_DIR, 'cert.pem'), '--tls-key', join(TLS_DIR, 'key.pem')],
      ctx,
    );
    const url = await waitForUrl(ctx.out, ctx.err);
    assert.equal(url.protocol, 'https:');
    assert.equal(url.hostname, 'snca.test');
    assert.doesNotMatch(ctx.err(), /plain HTTP/);
    const port = Number(url.port);
    const token = url.searchParams.get('token')!;
    const index = await send({ tls: true, port, host: `snca.test:${port}`, path: '/' });
    assert.ok(index.status === 200 || index.status === 503, String(index.status));
    assert.match(String(index.headers['strict-transport-security']), /max-age=/);
    const ok = await send({ tls: true, port, host: `snca.test:${port}`, ...api(token) });
    assert.equal(ok.status, 200, ok.body);
    assert.equal((JSON.parse(ok.body) as { result: { shell: string } }).result.shell, 'serve');
    // Same-origin check includes the scheme: an http:// page of the same name is foreign.
    const crossScheme = await send({ tls: true, port, host: `snca.test:${port}`, ...api(token), headers: { ...api(token).headers, Origin: `http://snca.test:${port}` } });
    assert.equal(crossScheme.status, 403);
    const wsOptions: WebSocket.ClientOptions & { servername: string } = { ca: cert, servername: 'snca.test', headers: { Host: `snca.test:${port}`, Origin: `https://snca.test:${port}` } };
    const ws = new WebSocket(`wss://127.0.0.2:${port}/events?token=${token}`, wsOptions);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_q, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
    ws.close();
    const plain = await send({ port, host: `snca.test:${port}`, ...api(token) }).catch((e: Error) => e);
    assert.ok(plain instanceof Error || plain.status === 400, 'plain HTTP gets no API answer');
    ctx.interrupt();
    assert.equal(await done, 0);
  } finally {
    tmp.cleanup();
  }
});

test('the log never shows the token, and a client that hangs up is one line without a stack', { timeout: 60_000 }, async () => {
  const lines: string[] = [];
  const server = await startServer({ handlers: t.core.handlers, bus: t.core.bus, host: '127.0.0.2', publicNames: ['snca.test'], port: 0, diagnostics: (l) => lines.push(l) });
  try {
    // A request that passes every check, announces a body and hangs up half way.
    const socket = connect(server.port, '127.0.0.2');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(
      `POST /api/runs.list?token=${server.token}&x=1 HTTP/1.1\r\nHost: snca.test:${server.port}\r\nAuthorization: Bearer ${server.token}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"pad":"',
    );
    await new Promise((r) => setTimeout(r, 100));
    socket.destroy();
    const deadline = Date.now() + 5000;
    while (lines.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(lines.length, 1, lines.join('\n'));
    const line = lines[0]!;
    assert.doesNotMatch(line, /\n/);
    assert.doesNotMatch(line, /\bat /, 'no stack trace');
    assert.ok(!line.includes(server.token), line);
    assert.match(line, /^request POST \/api\/runs\.list\?token=<redacted>&x=1: the client closed the connection before the answer$/);
  } finally {
    await server.close();
  }
});
