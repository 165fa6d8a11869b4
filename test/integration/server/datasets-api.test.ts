/**
 * The datasets API over the real HTTP server and WebSocket: a CIFAR archive served on
 * 127.0.0.1 is downloaded with dataset.progress events ending 'done'; a wrong md5 ends
 * 'error' with that message; an unreachable server says to import a local archive; a local
 * archive imports without network.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import type { EventEnvelope } from '../../../shared/api.ts';
import type { DatasetProgress } from '../../../shared/datasets.ts';
import { startServer, type RunningServer } from '../../../src-main/server/http-server.ts';
import { makeTempDir, type TempDir } from '../../fixtures/temp-home.ts';
import { startTestCore, type TestCore } from '../../fixtures/test-core.ts';
import { fakeCifar, tarGzOf, writeCifar } from '../../unit/engine/data/cifar-fixtures.ts';

let archive: Buffer;
let archiveMd5 = '';
let wantedMd5 = '';
let archiveBase = '';
let deadPort = 0;
let t: TestCore;
let server: RunningServer;
let src: TempDir;

const archiveServer = http.createServer((req, res) => {
  if (req.url !== '/cifar-10-python.tar.gz') {
    res.writeHead(404).end();
    return;
  }
  // Trickle so that several progress events are seen.
  res.writeHead(200, { 'content-length': archive.length });
  let at = 0;
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer);
    res.write(archive.subarray(at, at + Math.ceil(archive.length / 5)));
    at += Math.ceil(archive.length / 5);
    if (at >= archive.length) {
      clearInterval(timer);
      res.end();
    }
  }, 120);
});

before(async () => {
  src = makeTempDir('snca-cifar-src-');
  writeCifar(src.dir, 'cifar10', 'python', fakeCifar('cifar10', 2, 3));
  archive = tarGzOf(src.dir, join(src.dir, 'cifar-10-batches-py'));
  archiveMd5 = createHash('md5').update(archive).digest('hex');
  wantedMd5 = archiveMd5;
  await new Promise<void>((r) => archiveServer.listen(0, '127.0.0.1', r));
  archiveBase = `http://127.0.0.1:${(archiveServer.address() as AddressInfo).port}`;
  // A port nobody listens on: connection refused, as when offline.
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  deadPort = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  t = await startTestCore('completing', {
    cifarSource: (kind, format) => {
      if (kind === 'cifar100') return { url: `http://127.0.0.1:${deadPort}/cifar-100-python.tar.gz`, md5: '0'.repeat(32) };
      return { url: `${archiveBase}/cifar-10-${format}.tar.gz`, md5: wantedMd5 };
    },
  });
  server = await startServer({ handlers: t.core.handlers, bus: t.core.bus, port: 0, rendererDir: src.dir, diagnostics: () => {} });
});

after(async () => {
  await server.close();
  await t.dispose();
  await new Promise((r) => archiveServer.close(r));
  src.cleanup();
});

async function call<T>(method: string, body: unknown): Promise<{ ok: boolean; result?: T; error?: { code: string; message: string; issues?: { path: string }[] } }> {
  const res = await fetch(`${server.origin}/api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` },
    body: JSON.stringify(body),
  });
  return (await res.json()) as never;
}

/** Progress events of one job, collected from the WebSocket until it ends. */
async function jobEvents(start: () => Promise<string>): Promise<DatasetProgress[]> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events?token=${encodeURIComponent(server.token)}`);
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  const all: DatasetProgress[] = [];
  let jobId: string | null = null;
  let resolveEnd: () => void = () => {};
  const ended = new Promise<void>((r) => (resolveEnd = r));
  const check = () => {
    if (jobId && all.some((p) => p.jobId === jobId && (p.phase === 'done' || p.phase === 'error'))) resolveEnd();
  };
  ws.on('message', (data) => {
    const e = JSON.parse(String(data)) as EventEnvelope;
    if (e.event === 'dataset.progress') all.push(e.payload);
    check();
  });
  try {
    jobId = await start();
    check();
    await ended;
    return all.filter((p) => p.jobId === jobId);
  } finally {
    ws.close();
  }
}

test('datasets.download fetches the archive with progress events and ends done; the folder then validates', { timeout: 60_000 }, async () => {
  const root = join(src.dir, 'dl-ok');
  const events = await jobEvents(async () => {
    const r = await call<{ jobId: string; root: string }>('datasets.download', { kind: 'cifar10', root });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.result!.root, root);
    return r.result!.jobId;
  });
  const phases = events.map((e) => e.phase);
  assert.ok(phases.filter((p) => p === 'download').length >= 2, phases.join(','));
  assert.ok(phases.includes('extract'), phases.join(','));
  assert.equal(phases.at(-1), 'done', JSON.stringify(events.at(-1)));
  assert.ok(phases.indexOf('download') < phases.indexOf('extract'));
  const last = events.at(-1)!;
  assert.equal(last.bytes, archive.length);
  assert.equal(last.kind, 'cifar10');
  const dl = events.filter((e) => e.phase === 'download');
  assert.ok(dl.every((e) => e.totalBytes === archive.length));
  assert.ok(dl.some((e) => e.bytes > 0 && e.bytes < archive.length), 'an intermediate byte count was reported');
  const v = await call<{ ok: boolean; summary: { classes: number; format: string } }>('datasets.validate', { spec: { kind: 'cifar10', root } });
  assert.ok(v.result?.ok, JSON.stringify(v));
  assert.equal(v.result?.summary.format, 'python');
});

test('an md5 mismatch ends the job with error naming the md5s', { timeout: 60_000 }, async () => {
  wantedMd5 = 'f'.repeat(32);
  try {
    const events = await jobEvents(async () => (await call<{ jobId: string }>('datasets.download', { kind: 'cifar10', root: join(src.dir, 'dl-bad') })).result!.jobId);
    const last = events.at(-1)!;
    assert.equal(last.phase, 'error');
    assert.match(last.message ?? '', new RegExp(`md5 of the downloaded file is ${archiveMd5}, expected ${'f'.repeat(32)}`));
  } finally {
    wantedMd5 = archiveMd5;
  }
});

test('an unreachable server ends with the offline message pointing at importing a local archive', { timeout: 60_000 }, async () => {
  const events = await jobEvents(async () => (await call<{ jobId: string }>('datasets.download', { kind: 'cifar100', root: join(src.dir, 'dl-off') })).result!.jobId);
  const last = events.at(-1)!;
  assert.equal(last.phase, 'error');
  assert.match(last.message ?? '', /^No network: import a local archive instead\./);
  assert.match(last.message ?? '', /ECONNREFUSED/);
});

test('datasets.import extracts a local archive without network; a damaged copy ends with the md5 message', { timeout: 60_000 }, async () => {
  const path = join(src.dir, 'local.tar.gz');
  writeFileSync(path, archive);
  const root = join(src.dir, 'imp');
  const events = await jobEvents(async () => (await call<{ jobId: string }>('datasets.import', { kind: 'cifar10', archivePath: path, root })).result!.jobId);
  assert.deepEqual(events.map((e) => e.phase), ['verify', 'extract', 'done']);
  assert.match(events.at(-1)!.message ?? '', /imported/);
  const v = await call<{ ok: boolean }>('datasets.validate', { spec: { kind: 'cifar10', root } });
  assert.ok(v.result?.ok, JSON.stringify(v));

  const damaged = join(src.dir, 'damaged.tar.gz');
  writeFileSync(damaged, archive.subarray(0, archive.length - 100));
  const bad = await jobEvents(async () => (await call<{ jobId: string }>('datasets.import', { kind: 'cifar10', archivePath: damaged, root: join(src.dir, 'imp2') })).result!.jobId);
  assert.equal(bad.at(-1)!.phase, 'error');
  assert.ok(bad.at(-1)!.message?.startsWith(`${damaged}: md5 is `), bad.at(-1)!.message);
  const invalid = await call('datasets.import', { kind: 'cifar10', archivePath: '' });
  assert.equal(invalid.ok, false);
  assert.ok(invalid.error?.issues?.some((i) => i.path === 'archivePath'), JSON.stringify(invalid));
});

test('datasets.import of a file that is not an archive (or no file) answers "not a dataset archive", and nothing about the file', { timeout: 60_000 }, async () => {
  const passwd = join(src.dir, 'passwd');
  writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/bash\n'.repeat(50));
  const answers = new Set<string>();
  for (const archivePath of [passwd, join(src.dir, 'absent'), src.dir]) {
    const events = await jobEvents(async () => (await call<{ jobId: string }>('datasets.import', { kind: 'cifar10', archivePath, root: join(src.dir, 'probe') })).result!.jobId);
    assert.deepEqual(events.map((e) => e.phase), ['error'], `${archivePath}: no verify event carrying its size`);
    assert.ok(events.every((e) => e.totalBytes === null && e.bytes === 0));
    answers.add(events[0]!.message!.slice(archivePath.length));
  }
  assert.deepEqual([...answers], [': not a CIFAR-10 dataset archive (expected the official .tar.gz file)']);
});
