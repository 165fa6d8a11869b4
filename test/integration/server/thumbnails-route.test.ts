/** Thumbnails over serve mode's real HTTP: the token is required, the dataset must be one a run uses. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { thumbnailPath } from '../../../shared/thumbnails.ts';
import { startServer, type RunningServer } from '../../../src-main/server/http-server.ts';
import { ThumbnailsService } from '../../../src-main/core/thumbnails-service.ts';
import { createAppProtocolHandler } from '../../../src-main/app/app-protocol.ts';
import { newRun } from '../../fixtures/run-records.ts';
import { startTestCore, type TestCore } from '../../fixtures/test-core.ts';

let t: TestCore;
let server: RunningServer;

before(async () => {
  t = await startTestCore('completing');
  server = await startServer({ handlers: t.core.handlers, bus: t.core.bus, thumbnails: t.core.thumbnails.source, port: 0, diagnostics: () => {} });
});

after(async () => {
  await server.close();
  await t.dispose();
});

test('a thumbnail of a run dataset needs the token, comes as a PNG, and the same path works on snca://app', async () => {
  const run = newRun('thumb-run');
  t.store.runs.insert(run);
  const spec = JSON.parse(run.configJson).dataset;
  // A service that did not hand the id out: the id is computed the same way and found in the runs.
  const id = new ThumbnailsService({ home: t.home, knownDatasetJsons: () => [] }).datasetIdOf(spec);
  const path = thumbnailPath({ datasetId: id, split: 'val', index: 5, size: 32 });

  assert.equal((await fetch(`${server.origin}${path}`)).status, 401);
  assert.equal((await fetch(`${server.origin}${path}&token=wrong`)).status, 401);
  const res = await fetch(`${server.origin}${path}&token=${server.token}`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'image/png');
  const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ['png', 32, 32]);
  const bearer = await fetch(`${server.origin}${path}`, { headers: { Authorization: `Bearer ${server.token}` } });
  assert.equal(bearer.status, 200);

  assert.equal((await fetch(`${server.origin}/thumbnails/${'f'.repeat(16)}/val/0.png?token=${server.token}`)).status, 404, 'no run uses that dataset');
  assert.equal((await fetch(`${server.origin}/thumbnails/${id}/val/%2e%2e%2f%2e%2e%2fsnca.db?token=${server.token}`)).status, 400);
  assert.equal((await fetch(`${server.origin}${path}&token=${server.token}`, { method: 'POST' })).status, 405);

  const protocol = createAppProtocolHandler('/nonexistent-renderer', t.core.thumbnails.source);
  const viaApp = await protocol(new Request(`snca://app${path}`));
  assert.equal(viaApp.status, 200);
  assert.equal(viaApp.headers.get('content-type'), 'image/png');
  assert.equal((await protocol(new Request(`snca://app/thumbnails/${id}/val/99999.png`))).status, 404);
});
