/**
 * Serve mode's upload route over real HTTP: the token and origin checks of the API, a limit
 * per kind (declared or streamed), wrong names and contents refused with 415, an aborted
 * upload leaving nothing, old uploads swept, and an uploaded checkpoint imported through
 * models.import (the upload is deleted once its import has ended).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { encodeUploadName, UPLOAD_NAME_HEADER, uploadPath, type UploadKind } from '../../../shared/uploads.ts';
import { startServer, type RunningServer } from '../../../src-main/server/http-server.ts';
import { startTestCore, type TestCore } from '../../fixtures/test-core.ts';
import { waitFor } from '../../fixtures/wait-for.ts';
import { fixturePath } from '../../unit/acquire/torch-fixtures.ts';

const LIMITS = { image: 64 * 1024, model: 1024 * 1024 };
let t: TestCore;
let server: RunningServer;
let uploadsDir: string;

before(async () => {
  t = await startTestCore('completing', { uploadLimits: LIMITS });
  uploadsDir = t.core.uploads.dir;
  server = await startServer({ handlers: t.core.handlers, bus: t.core.bus, uploads: (r) => t.core.uploads.receive(r), port: 0, diagnostics: () => {} });
});

after(async () => {
  await server.close();
  await t.dispose();
});

async function upload(kind: UploadKind | string, name: string, body: Uint8Array, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.origin}${kind === 'image' || kind === 'model' ? uploadPath(kind) : `/uploads/${kind}`}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/octet-stream', [UPLOAD_NAME_HEADER]: encodeUploadName(name), ...headers },
    body: new Blob([new Uint8Array(body)]),
  });
  return { status: res.status, body: (await res.json()) as { ok: boolean; result?: { path: string; bytes: number; name: string; kind: string }; error?: { message: string } } };
}

const png = () => sharp({ create: { width: 24, height: 16, channels: 3, background: { r: 200, g: 10, b: 50 } } }).png().toBuffer();

test('an image is stored under SNCA_HOME/cache/uploads with its name; token and origin are checked as for the API', async () => {
  const bytes = await png();
  const ok = await upload('image', 'my query é.png', bytes);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  const stored = ok.body.result!;
  assert.deepEqual([stored.kind, stored.name, stored.bytes], ['image', 'my query é.png', bytes.length]);
  assert.ok(stored.path.startsWith(uploadsDir + '/'), stored.path);
  assert.deepEqual(readFileSync(stored.path), bytes);
  assert.equal(statSync(stored.path).mode & 0o077, 0, 'private to the user');

  assert.equal((await upload('image', 'a.png', bytes, { Authorization: 'Bearer wrong' })).status, 401);
  const foreign = await fetch(`${server.origin}${uploadPath('image')}`, { method: 'POST', headers: { Origin: 'http://evil.example', Authorization: `Bearer ${server.token}` }, body: new Blob([new Uint8Array(bytes)]) });
  assert.equal(foreign.status, 403);
  assert.equal((await fetch(`${server.origin}${uploadPath('image')}?token=${server.token}`)).status, 401, 'the token travels as a header only');
  assert.equal((await upload('video', 'a.png', bytes)).status, 404);
  assert.equal((await upload('image', 'a.png', bytes, { 'Content-Type': 'multipart/form-data' })).status, 415);
});

test('too large, wrong names and wrong contents are refused with a clear error and leave nothing', async () => {
  const before = readdirSync(uploadsDir).length;
  const big = await upload('image', 'big.png', new Uint8Array(LIMITS.image + 1));
  assert.equal(big.status, 413);
  assert.match(big.body.error!.message, /big\.png is 64\.0 KiB; this server accepts images of up to 64\.0 KiB/);
  const txt = await upload('image', 'notes.txt', new Uint8Array(10));
  assert.equal(txt.status, 415);
  assert.match(txt.body.error!.message, /notes\.txt is not an image file/);
  const garbage = await upload('image', 'fake.png', new TextEncoder().encode('this is not a PNG at all'));
  assert.equal(garbage.status, 415);
  assert.match(garbage.body.error!.message, /fake\.png is not an image this app can read/);
  const notTorch = await upload('model', 'weights.pth', new TextEncoder().encode('{"json": "not a checkpoint"}'));
  assert.equal(notTorch.status, 415);
  assert.match(notTorch.body.error!.message, /weights\.pth is not a PyTorch checkpoint: it is neither a zip archive nor a pickle \(first bytes 7b226a73\)/);
  assert.equal((await upload('model', '../escape.pth', new Uint8Array([0x80, 2]))).status, 400);
  assert.equal((await upload('image', 'empty.png', new Uint8Array(0))).status, 400);
  assert.equal(readdirSync(uploadsDir).length, before, 'nothing kept of a refused upload');
});

test('an upload aborted midway leaves no partial file; one without a length is refused (411)', async () => {
  const before = readdirSync(uploadsDir).length;
  await new Promise<void>((resolve) => {
    const req = request(`${server.origin}${uploadPath('model')}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/octet-stream', 'Content-Length': '500000', [UPLOAD_NAME_HEADER]: 'half.pth' },
    });
    req.on('error', () => resolve());
    req.write(Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.alloc(100_000)]));
    setTimeout(() => {
      req.destroy();
      resolve();
    }, 300);
  });
  await waitFor(() => readdirSync(uploadsDir).length === before, () => `uploads: ${readdirSync(uploadsDir).join(', ')}`, 5000, 50);

  const chunked = await new Promise<number>((resolve, reject) => {
    const req = request(`${server.origin}${uploadPath('image')}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/octet-stream', 'Transfer-Encoding': 'chunked', [UPLOAD_NAME_HEADER]: 'a.png' },
    }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(Buffer.alloc(10));
  });
  assert.equal(chunked, 411);
});

test('an uploaded checkpoint imports through models.import, and the upload is deleted once the import ends; old uploads are swept', async () => {
  const stale = join(uploadsDir, `${Date.now() - 7 * 3600_000}-0123456789ab`);
  mkdirSync(stale);
  const bytes = readFileSync(fixturePath('cifar-resnet18-w4.zip.t7'));
  const res = await upload('model', 'cifar-resnet18-w4.zip.t7', bytes);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(existsSync(stale), false, 'an upload older than the maximum age is deleted');
  const job = await t.core.call('models.import', { path: res.body.result!.path });
  assert.equal(job.name, 'cifar-resnet18-w4.zip', 'the default name is the file name');
  const end = await t.core.models.whenImportEnded(job.jobId);
  assert.equal(end?.phase, 'done', end?.message);
  assert.equal((await t.core.call('models.get', { id: end!.modelId! })).fileName, 'cifar-resnet18-w4.zip.t7');
  assert.equal(existsSync(res.body.result!.path), false, 'the upload is gone once imported');
  assert.deepEqual(await t.core.call('uploads.limits', {}), LIMITS);
});
