import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { downloadFile, DownloadError, type DownloadProgress } from '../../../src-main/acquire/archive-download.ts';
import { downloadCifar } from '../../../src-main/acquire/cifar-archive.ts';
import { cifarPythonReader } from '../../../src-main/acquire/cifar-python.ts';
import { openDataset } from '../../../src-main/engine/data/open-dataset.ts';
import { fakeCifar, tarGzOf, writeCifar } from '../../unit/engine/data/cifar-fixtures.ts';

const tmp = mkdtempSync(join(tmpdir(), 'snca-download-'));
const payload = randomBytes(300_000);
const payloadMd5 = createHash('md5').update(payload).digest('hex');
let cifarArchive: Buffer;

interface Behaviour {
  /** Cut the connection after this many body bytes, for the next `cuts` responses. */
  cutAfter?: number;
  cuts?: number;
  ignoreRange?: boolean;
  slow?: boolean;
}
let behaviour: Behaviour = {};
const seen: { url: string; range: string | undefined }[] = [];

const server = http.createServer((req, res) => {
  seen.push({ url: req.url ?? '', range: req.headers.range });
  const body = req.url === '/payload.bin' ? payload : req.url === '/cifar-10-python.tar.gz' ? cifarArchive : null;
  if (!body) {
    res.writeHead(404).end('not found');
    return;
  }
  let start = 0;
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (m && !behaviour.ignoreRange) {
    start = Number(m[1]);
    if (start >= body.length) {
      res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      return;
    }
    res.writeHead(206, { 'content-length': body.length - start, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
  } else {
    res.writeHead(200, { 'content-length': body.length });
  }
  const rest = body.subarray(start);
  if (behaviour.cuts && behaviour.cutAfter !== undefined) {
    behaviour.cuts--;
    res.write(rest.subarray(0, behaviour.cutAfter), () => res.socket?.destroy());
    return;
  }
  if (behaviour.slow) {
    // Trickle so that an abort lands mid-transfer.
    let at = 0;
    const timer = setInterval(() => {
      if (res.destroyed) return clearInterval(timer);
      res.write(rest.subarray(at, at + 10_000));
      at += 10_000;
      if (at >= rest.length) {
        clearInterval(timer);
        res.end();
      }
    }, 20);
    return;
  }
  res.end(rest);
});
let base = '';

before(async () => {
  const src = join(tmp, 'cifar-src');
  writeCifar(src, 'cifar10', 'python', fakeCifar('cifar10', 2, 3));
  cifarArchive = tarGzOf(src, join(src, 'cifar-10-batches-py'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise((r) => server.close(r));
  rmSync(tmp, { recursive: true, force: true });
});

function fresh(name: string): string {
  behaviour = {};
  seen.length = 0;
  return join(tmp, name);
}

test('downloads with progress events and md5 check; a complete file is not fetched again', async () => {
  const dest = fresh('a.bin');
  const events: DownloadProgress[] = [];
  const res = await downloadFile(`${base}/payload.bin`, dest, { md5: payloadMd5, onProgress: (p) => events.push(p), progressIntervalMs: 0 });
  assert.equal(res.md5, payloadMd5);
  assert.equal(res.cached, false);
  assert.deepEqual(readFileSync(dest), payload);
  assert.ok(events.length >= 3, `${events.length} events`);
  for (let i = 1; i < events.length; i++) assert.ok(events[i].receivedBytes >= events[i - 1].receivedBytes, 'events[i].receivedBytes >= events[i - 1].receivedBytes');
  assert.equal(events.at(-1)?.done, true);
  assert.equal(events.at(-1)?.receivedBytes, payload.length);
  assert.ok(events.filter((e) => !e.done).every((e) => e.totalBytes === payload.length), 'events.filter((e) => !e.done).every((e) => e.totalBytes === payload.le');
  const again = await downloadFile(`${base}/payload.bin`, dest, { md5: payloadMd5 });
  assert.equal(again.cached, true);
  assert.equal(seen.length, 1);
});

test('an md5 mismatch is rejected and the bad file removed', async () => {
  const dest = fresh('b.bin');
  await assert.rejects(
    downloadFile(`${base}/payload.bin`, dest, { md5: '0'.repeat(32) }),
    (e: unknown) => e instanceof DownloadError && e.code === 'md5' && e.message.includes(dest) && /expected 0{32}/.test(e.message),
  );
  assert.equal(existsSync(dest), false);
  assert.equal(existsSync(`${dest}.part`), false);
});

test('a cut connection is resumed with a Range request on the next call', async () => {
  const dest = fresh('c.bin');
  behaviour = { cutAfter: 120_000, cuts: 1 };
  await assert.rejects(downloadFile(`${base}/payload.bin`, dest, { md5: payloadMd5, retries: 0 }), (e: unknown) => e instanceof DownloadError && e.code === 'interrupted');
  const partial = statSync(`${dest}.part`).size;
  assert.ok(partial > 0 && partial < payload.length, `partial ${partial}`);
  const res = await downloadFile(`${base}/payload.bin`, dest, { md5: payloadMd5, retries: 0 });
  assert.equal(res.resumed, true);
  assert.equal(seen.at(-1)?.range, `bytes=${partial}-`);
  assert.deepEqual(readFileSync(dest), payload);
});

test('automatic retries resume within one call; a server ignoring Range restarts cleanly', async () => {
  const dest = fresh('d.bin');
  behaviour = { cutAfter: 50_000, cuts: 2 };
  const res = await downloadFile(`${base}/payload.bin`, dest, { md5: payloadMd5, retries: 3, retryDelayMs: 5 });
  assert.equal(seen.length, 3);
  assert.equal(seen[1].range, 'bytes=50000-');
  assert.equal(res.resumed, true);
  assert.deepEqual(readFileSync(dest), payload);

  const dest2 = fresh('e.bin');
  behaviour = { cutAfter: 70_000, cuts: 1, ignoreRange: true };
  await downloadFile(`${base}/payload.bin`, dest2, { md5: payloadMd5, retries: 2, retryDelayMs: 5 });
  assert.deepEqual(readFileSync(dest2), payload);
});

test('offline (nothing listening), HTTP errors and cancellation give clear errors', async () => {
  const closed = http.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  await assert.rejects(
    downloadFile(`http://127.0.0.1:${port}/x.tar.gz`, fresh('f.bin'), { retries: 0, offlineHint: 'Use "Import a local archive".' }),
    (e: unknown) => e instanceof DownloadError && e.code === 'offline' && /Cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\).*offline.*Import a local archive/.test(e.message),
  );
  await assert.rejects(downloadFile(`${base}/missing`, fresh('g.bin'), { retries: 0 }), (e: unknown) => e instanceof DownloadError && e.code === 'http' && /HTTP 404/.test(e.message));

  const dest = fresh('h.bin');
  behaviour = { slow: true };
  const ac = new AbortController();
  const p = downloadFile(`${base}/payload.bin`, dest, { signal: ac.signal, progressIntervalMs: 0, onProgress: (e) => e.receivedBytes > 30_000 && ac.abort() });
  await assert.rejects(p, (e: unknown) => e instanceof DownloadError && e.code === 'aborted');
  assert.ok(statSync(`${dest}.part`).size > 0, 'the partial file is kept for a later resume');
});

test('downloadCifar: fetches, verifies, extracts and the dataset opens', async () => {
  const root = fresh('cifar-root');
  const md5 = createHash('md5').update(cifarArchive).digest('hex');
  const events: DownloadProgress[] = [];
  const layout = await downloadCifar('cifar10', root, { url: `${base}/cifar-10-python.tar.gz`, md5, onProgress: (p) => events.push(p) });
  assert.equal(layout.format, 'python');
  assert.equal(existsSync(join(root, 'cifar-10-python.tar.gz')), false, 'the archive is removed after extraction');
  assert.ok(events.at(-1)?.done, 'events.at(-1)?.done');
  const ds = await openDataset({ kind: 'cifar10', root }, { workers: 0, log: () => undefined, readers: { cifarPython: cifarPythonReader } });
  assert.equal(ds.train.split.size, 10);
  await ds.close();
  // Already there: no second download.
  const before = seen.length;
  await downloadCifar('cifar10', root, { url: `${base}/cifar-10-python.tar.gz`, md5 });
  assert.equal(seen.length, before);
});
