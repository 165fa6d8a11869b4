import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { thumbnailPath, ThumbnailError, type ThumbnailRef } from '../../../shared/thumbnails.ts';
import { ThumbnailsService } from '../../../src-main/core/thumbnails-service.ts';
import { mnistSplitPixels } from '../../../src-main/engine/data/mnist.ts';
import { answerThumbnail } from '../../../src-main/server/thumbnail-route.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';
import { fakeCifar, writeCifar } from '../engine/data/cifar-fixtures.ts';
import { writeImage } from '../engine/data/image-folder-fixtures.ts';

async function rawOf(png: Uint8Array): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

async function refusal(p: Promise<unknown>): Promise<ThumbnailError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ThumbnailError) return err;
    throw err;
  }
  assert.fail('expected a ThumbnailError');
}

const ref = (datasetId: string, split: 'train' | 'val', index: number, size = 64): ThumbnailRef => ({ datasetId, split, index, size });

test('MNIST thumbnails are the split digits, cut from the arrays; an index past the split is 404', async () => {
  const tmp = makeTempDir();
  try {
    const svc = new ThumbnailsService({ home: tmp.dir, knownDatasetJsons: () => [] });
    const spec = { kind: 'mnist' as const, trainSize: 100, valSize: 50 };
    const id = svc.datasetIdOf(spec);
    assert.match(id, /^[0-9a-f]{16}$/);
    assert.equal(svc.datasetIdOf({ ...spec }), id, 'the id depends on the dataset only');
    const want = (await mnistSplitPixels(spec)).val;
    const got = await rawOf(await svc.thumbnail(ref(id, 'val', 7, 28)));
    assert.deepEqual([got.width, got.height], [28, 28]);
    const grey = Buffer.alloc(28 * 28);
    for (let p = 0; p < grey.length; p++) grey[p] = got.data[p * got.channels]!;
    assert.deepEqual(grey, Buffer.from(want.pixels.subarray(7 * 784, 8 * 784)));
    const big = await rawOf(await svc.thumbnail(ref(id, 'train', 0, 64)));
    assert.deepEqual([big.width, big.height], [64, 64]);
    assert.equal((await refusal(svc.thumbnail(ref(id, 'val', 50)))).status, 404);
    assert.equal((await refusal(svc.thumbnail(ref('0123456789abcdef', 'val', 0)))).status, 404, 'an id nobody handed out');
  } finally {
    tmp.cleanup();
  }
});

test('CIFAR thumbnails come from the batches (test batch for val); datasets named by run configs are found by id', async () => {
  const tmp = makeTempDir();
  try {
    const data = fakeCifar('cifar10', 2, 3);
    const root = join(tmp.dir, 'cifar');
    writeCifar(root, 'cifar10', 'binary', data);
    const jsons = [JSON.stringify({ kind: 'cifar10', root })];
    const registry = new ThumbnailsService({ home: tmp.dir, knownDatasetJsons: () => [] });
    const id = registry.datasetIdOf({ kind: 'cifar10', root });
    // A second service that never handed the id out finds it among the stored specs.
    const svc = new ThumbnailsService({ home: join(tmp.dir, 'home'), knownDatasetJsons: () => jsons });
    const got = await rawOf(await svc.thumbnail(ref(id, 'val', 2, 32)));
    assert.deepEqual([got.width, got.height, got.channels], [32, 32, 3]);
    for (const p of [0, 100, 1023]) {
      for (let c = 0; c < 3; c++) assert.equal(got.data[p * 3 + c], data.test.planar[2 * 3072 + c * 1024 + p], `pixel ${p} channel ${c}`);
    }
    assert.equal((await refusal(svc.thumbnail(ref(id, 'train', 10)))).status, 404, '10 train images');
  } finally {
    tmp.cleanup();
  }
});

test('ImageFolder thumbnails are read with sharp and cached on disk by path, mtime, size and thumbnail size', async () => {
  const tmp = makeTempDir();
  try {
    const root = join(tmp.dir, 'folder');
    await writeImage(join(root, 'train', 'a', 'x.png'), 'png', [200, 10, 10], 40, 30);
    const file = join(root, 'val', 'a', 'y.png');
    await writeImage(file, 'png', [10, 200, 10], 40, 30);
    const home = join(tmp.dir, 'home');
    const svc = new ThumbnailsService({ home, knownDatasetJsons: () => [] });
    const id = svc.datasetIdOf({ kind: 'imagefolder', root });
    const got = await rawOf(await svc.thumbnail(ref(id, 'val', 0, 24)));
    assert.deepEqual([got.width, got.height], [24, 24]);
    assert.deepEqual([...got.data.subarray(0, 3)], [10, 200, 10]);
    const shard = readdirSync(join(home, 'cache', 'thumbnails'));
    assert.equal(shard.length, 1);
    const cached = readdirSync(join(home, 'cache', 'thumbnails', shard[0]!));
    assert.equal(cached.length, 1);
    assert.match(cached[0]!, /^[0-9a-f]{64}\.png$/);
    // The disk cache answers a fresh service: replace the cached PNG and it is what comes back.
    const blue = await sharp({ create: { width: 24, height: 24, channels: 3, background: { r: 0, g: 0, b: 255 } } }).png().toBuffer();
    writeFileSync(join(home, 'cache', 'thumbnails', shard[0]!, cached[0]!), blue);
    const fresh = new ThumbnailsService({ home, knownDatasetJsons: () => [JSON.stringify({ kind: 'imagefolder', root })] });
    assert.deepEqual([...(await rawOf(await fresh.thumbnail(ref(id, 'val', 0, 24)))).data.subarray(0, 3)], [0, 0, 255]);
    // Another size is another key; a changed mtime is another key.
    assert.deepEqual([...(await rawOf(await fresh.thumbnail(ref(id, 'val', 0, 32)))).data.subarray(0, 3)], [10, 200, 10]);
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const third = new ThumbnailsService({ home, knownDatasetJsons: () => [JSON.stringify({ kind: 'imagefolder', root })] });
    assert.deepEqual([...(await rawOf(await third.thumbnail(ref(id, 'val', 0, 24)))).data.subarray(0, 3)], [10, 200, 10]);
  } finally {
    tmp.cleanup();
  }
});

test('a file whose real path leaves the dataset folder is refused (403); a symlinked dataset root is fine', async () => {
  const tmp = makeTempDir();
  try {
    const outside = join(tmp.dir, 'outside');
    await writeImage(join(outside, 'secret.png'), 'png', [1, 2, 3]);
    const real = join(tmp.dir, 'real-root');
    await writeImage(join(real, 'train', 'a', 'ok.png'), 'png', [5, 5, 5]);
    mkdirSync(join(real, 'val', 'a'), { recursive: true });
    symlinkSync(join(outside, 'secret.png'), join(real, 'val', 'a', 'escape.png'));
    const linkRoot = join(tmp.dir, 'link-root');
    symlinkSync(real, linkRoot);
    const svc = new ThumbnailsService({ home: join(tmp.dir, 'home'), knownDatasetJsons: () => [] });
    const id = svc.datasetIdOf({ kind: 'imagefolder', root: linkRoot });
    assert.deepEqual([...(await rawOf(await svc.thumbnail(ref(id, 'train', 0, 16)))).data.subarray(0, 3)], [5, 5, 5]);
    const refused = await refusal(svc.thumbnail(ref(id, 'val', 0, 16)));
    assert.equal(refused.status, 403);
    assert.match(refused.message, /outside the dataset folder/);
  } finally {
    tmp.cleanup();
  }
});

test('the route parses only /thumbnails/<id>/<split>/<index>.png with a bounded size; anything else is 400', async () => {
  const served: ThumbnailRef[] = [];
  const source = async (r: ThumbnailRef) => {
    served.push(r);
    return new Uint8Array([0x89, 0x50]);
  };
  const id = '00112233445566ff';
  const ok = await answerThumbnail(`/thumbnails/${id}/val/12.png`, new URLSearchParams('size=48'), source);
  assert.equal(ok.status, 200);
  assert.equal(ok.contentType, 'image/png');
  assert.deepEqual(served, [{ datasetId: id, split: 'val', index: 12, size: 48 }]);
  const path = thumbnailPath({ datasetId: id, split: 'train', index: 3 });
  const u = new URL(path, 'http://x');
  assert.equal((await answerThumbnail(u.pathname, u.searchParams, source)).status, 200);
  assert.deepEqual(served[1], { datasetId: id, split: 'train', index: 3, size: 64 });
  for (const [pathname, query] of [
    [`/thumbnails/${id}/val/../../etc/passwd`, ''],
    [`/thumbnails/${id}/test/1.png`, ''],
    [`/thumbnails/${id}/val/-1.png`, ''],
    ['/thumbnails/0011/val/1.png', ''],
    [`/thumbnails/${id}/val/1.png`, 'size=9999'],
    [`/thumbnails/${id}/val/1.png`, 'size=4'],
    [`/thumbnails/${id}/val/1.png`, 'size=abc'],
  ] as const) {
    const a = await answerThumbnail(pathname, new URLSearchParams(query), source);
    assert.equal(a.status, 400, `${pathname}?${query}`);
  }
  assert.equal(served.length, 2);
  const refused = await answerThumbnail(`/thumbnails/${id}/val/1.png`, new URLSearchParams(), async () => {
    throw new ThumbnailError(403, 'outside');
  });
  assert.deepEqual([refused.status, refused.body], [403, 'outside']);
  assert.equal((await answerThumbnail(`/thumbnails/${id}/val/1.png`, new URLSearchParams(), undefined)).status, 404);
});
