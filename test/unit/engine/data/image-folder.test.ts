import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CorruptDataError, DatasetError } from '../../../../src-main/engine/data/data-errors.ts';
import { compareCodePoints, indexImageFolder } from '../../../../src-main/engine/data/image-folder.ts';
import { openDataset, validateDatasetSpec } from '../../../../src-main/engine/data/open-dataset.ts';
import { IMAGENET_MEAN, IMAGENET_STD } from '../../../../src-main/engine/data/recipes.ts';
import { centerCrop, normalize, randomHorizontalFlip, randomResizedCrop, resize } from '../../../../src-main/engine/data/transforms.ts';
import { writeImage, writeImageFolderTree } from './image-folder-fixtures.ts';

const tmp = mkdtempSync(join(tmpdir(), 'snca-imagefolder-'));
const root = join(tmp, 'tree');
let expected: { trainOrder: string[]; classes: string[] };
before(async () => {
  expected = await writeImageFolderTree(root);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const small = {
  train: [randomResizedCrop(8), randomHorizontalFlip(), normalize(IMAGENET_MEAN, IMAGENET_STD)],
  val: [resize(10), centerCrop(8), normalize(IMAGENET_MEAN, IMAGENET_STD)],
};

test('code-point order matches Python, not UTF-16 order', () => {
  const names = ['b', 'B', 'a', 'ä', '\u{1F600}', '\uFF21', 'a b', 'a/b'];
  assert.deepEqual([...names].sort(compareCodePoints), ['B', 'a', 'a b', 'a/b', 'b', 'ä', '\uFF21', '\u{1F600}']);
});

test('classes and samples follow torchvision ImageFolder order (checked against Python os.walk)', async () => {
  const idx = await indexImageFolder(join(root, 'train'), { cacheDir: null });
  assert.deepEqual(idx.classes, expected.classes);
  assert.deepEqual(idx.files.map((f) => f.split('\\').join('/')), expected.trainOrder);
  assert.deepEqual(Array.from(idx.labels), [0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 3]);
  // The text file named .jpg is flagged while indexing; it keeps its index so later ones do not shift.
  assert.deepEqual(idx.bad.map((b) => [b.index, b.path.endsWith('fake.jpg')]), [[2, true]]);
  assert.match(idx.bad[0].reason, /not an image/);
});

test('the index is cached and refreshed when a folder changes', async () => {
  const copy = join(tmp, 'cached');
  cpSync(root, copy, { recursive: true });
  const cacheDir = join(tmp, 'cache');
  const first = await indexImageFolder(join(copy, 'train'), { cacheDir });
  assert.equal(first.fromCache, false);
  assert.equal(readdirSync(cacheDir).length, 1);
  const second = await indexImageFolder(join(copy, 'train'), { cacheDir });
  assert.equal(second.fromCache, true);
  assert.deepEqual(second.files, first.files);
  assert.deepEqual(second.bad, first.bad);
  await writeImage(join(copy, 'train', 'b_class', 'sub2', 'y.png'), 'png', [1, 1, 1]);
  const third = await indexImageFolder(join(copy, 'train'), { cacheDir });
  assert.equal(third.scannedClasses, 1, 'only the changed class is scanned again');
  assert.equal(third.files.length, first.files.length + 1);
  assert.equal(third.files.at(-2)?.split('\\').join('/'), 'b_class/sub2/z.webp');
  assert.equal(third.files.at(-3)?.split('\\').join('/'), 'b_class/sub2/y.png');
  mkdirSync(join(copy, 'train', 'c_new'));
  await writeImage(join(copy, 'train', 'c_new', 'n.png'), 'png', [2, 2, 2]);
  const fourth = await indexImageFolder(join(copy, 'train'), { cacheDir });
  assert.deepEqual(fourth.classes, ['B_upper', 'a_class', 'b_class', 'c_new', 'ä_class']);
  assert.equal(fourth.scannedClasses, 1);
});

test('opening stops before training when unreadable files exceed the threshold', async () => {
  await assert.rejects(
    openDataset({ kind: 'imagefolder', root }, { workers: 0, log: () => undefined, cacheDir: null, transforms: small }),
    (e: unknown) => e instanceof CorruptDataError && e.path === join(root, 'train') && /1 of 12 images are unreadable/.test(e.message) && /fake\.jpg \(not an image/.test(e.message) && /0\.100%/.test(e.message),
  );
});

test('unreadable images are skipped, counted and named in the log; pixels are right', async () => {
  const logs: string[] = [];
  const ds = await openDataset({ kind: 'imagefolder', root, corruptThreshold: 0.2 }, { workers: 0, log: (m) => logs.push(m), cacheDir: null, transforms: small });
  try {
    assert.equal(ds.train.split.size, 12);
    assert.deepEqual(ds.train.split.imageShape, [8, 8, 3]);
    assert.equal(ds.train.batchesPerEpoch({ batchSize: 4, dropLast: false }), 3, '11 schedulable samples');
    const seen: number[] = [];
    for await (const b of ds.train.epoch({ epoch: 0, batchSize: 4, shuffle: false, dropLast: false, seed: 0 })) {
      assert.equal(b.images.length, b.shape[0] * 8 * 8 * 3);
      seen.push(...b.indexes);
    }
    assert.deepEqual(seen, [0, 3, 4, 5, 6, 7, 8, 9, 10, 11], 'the known-bad fake.jpg is never scheduled, the truncated JPEG is dropped');
    assert.ok(logs.some((l) => /Skipping unreadable image .*fake\.jpg: not an image/.test(l)), 'logs.some((l) => /Skipping unreadable image .*fake\\.jpg: not an image');
    assert.ok(logs.some((l) => /Skipping unreadable image .*broken\.jpg: cannot be decoded/.test(l)), 'logs.some((l) => /Skipping unreadable image .*broken\\.jpg: cannot be ');
    const val = [];
    for await (const b of ds.val.epoch({ epoch: 0, batchSize: 10, shuffle: false, dropLast: false, seed: 0 })) val.push(b);
    assert.equal(val.length, 1);
    // val/B_upper/v2.png is a solid (102, 50, 25) PNG: after resize + crop + normalise every pixel is exact.
    const b = val[0];
    assert.deepEqual(Array.from(b.labels), [0, 1, 2, 3]);
    const rgb = [102, 50, 25];
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(b.images[c] - (rgb[c] / 255 - IMAGENET_MEAN[c]) / IMAGENET_STD[c]) < 1e-5, 'Math.abs(b.images[c] - (rgb[c] / 255 - IMAGENET_MEAN[c]) / IMAGENET_ST');
  } finally {
    await ds.close();
  }
});

test('the run stops mid-epoch when decode failures push the count over the threshold', async () => {
  const ds = await openDataset({ kind: 'imagefolder', root, corruptThreshold: 0.1 }, { workers: 0, log: () => undefined, cacheDir: null, transforms: small });
  try {
    await assert.rejects(
      (async () => {
        for await (const _ of ds.train.epoch({ epoch: 0, batchSize: 4, shuffle: false, dropLast: false, seed: 0 })) void _;
      })(),
      (e: unknown) => e instanceof CorruptDataError && /2 of 12 images are unreadable/.test(e.message) && /broken\.jpg/.test(e.message),
    );
  } finally {
    await ds.close();
  }
});

test('bad layouts are reported with the path and the problem before training', async () => {
  const missing = join(tmp, 'missing');
  await assert.rejects(validateDatasetSpec({ kind: 'imagefolder', root: missing }), (e: unknown) => e instanceof DatasetError && e.path === missing && /does not exist/.test(e.message));

  const noVal = join(tmp, 'noval');
  await writeImage(join(noVal, 'train', 'c', 'a.png'), 'png', [0, 0, 0]);
  await assert.rejects(validateDatasetSpec({ kind: 'imagefolder', root: noVal }), /noval: no val\/ folder; expected ROOT\/train\/<class>\/<images> and ROOT\/val\/<class>\/<images>/);

  const single = join(tmp, 'single');
  await writeImage(join(single, 'cat', 'a.png'), 'png', [0, 0, 0]);
  await assert.rejects(validateDatasetSpec({ kind: 'imagefolder', root: single }), /no train\/ folder.*holds class folders directly/);

  const flat = join(tmp, 'flat');
  await writeImage(join(flat, 'train', 'a.png'), 'png', [0, 0, 0]);
  mkdirSync(join(flat, 'val'));
  await assert.rejects(validateDatasetSpec({ kind: 'imagefolder', root: flat }), (e: unknown) => e instanceof DatasetError && e.path === join(flat, 'train') && /no class folders found.*holds 1 image files directly/.test(e.message));

  const empty = join(tmp, 'emptyclass');
  await writeImage(join(empty, 'train', 'a', 'x.png'), 'png', [0, 0, 0]);
  mkdirSync(join(empty, 'train', 'b'));
  writeFileSync(join(empty, 'train', 'b', 'readme.txt'), 'no images here');
  await writeImage(join(empty, 'val', 'a', 'x.png'), 'png', [0, 0, 0]);
  await writeImage(join(empty, 'val', 'b', 'x.png'), 'png', [0, 0, 0]);
  const emptyCheck = (e: unknown) => e instanceof DatasetError && e.path === join(empty, 'train', 'b') && /class folder has no image files/.test(e.message);
  await assert.rejects(validateDatasetSpec({ kind: 'imagefolder', root: empty }), emptyCheck);
  await assert.rejects(openDataset({ kind: 'imagefolder', root: empty }, { workers: 0, log: () => undefined, cacheDir: null }), emptyCheck);

  const differ = join(tmp, 'differ');
  await writeImage(join(differ, 'train', 'a', 'x.png'), 'png', [0, 0, 0]);
  await writeImage(join(differ, 'train', 'b', 'x.png'), 'png', [0, 0, 0]);
  await writeImage(join(differ, 'val', 'a', 'x.png'), 'png', [0, 0, 0]);
  await writeImage(join(differ, 'val', 'c', 'x.png'), 'png', [0, 0, 0]);
  await assert.rejects(validateDatasetSpec({ kind: 'imagefolder', root: differ }), /differ[/\\]val: class folders differ from train\/: missing b; not in train\/: c/);
  await assert.rejects(openDataset({ kind: 'imagefolder', root: differ }, { workers: 0, log: () => undefined, cacheDir: null }), /class folders differ from the train split's/);
  assert.equal(existsSync(join(differ, 'train')), true);
});
