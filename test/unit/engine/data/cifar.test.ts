import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DatasetError } from '../../../../src-main/engine/data/data-errors.ts';
import type { Batch, Dataset } from '../../../../src-main/engine/data/dataset.ts';
import { openDataset, validateDatasetSpec } from '../../../../src-main/engine/data/open-dataset.ts';
import { CIFAR_MEAN, CIFAR_STD } from '../../../../src-main/engine/data/recipes.ts';
import { CIFAR100_LABEL_NAMES } from '../../../../src-main/engine/data/cifar-layout.ts';
import { cifarPythonReader } from '../../../../src-main/acquire/cifar-python.ts';
import { fakeCifar, writeCifar } from './cifar-fixtures.ts';

const tmp = mkdtempSync(join(tmpdir(), 'snca-cifar-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const quiet = { workers: 0, log: () => undefined, readers: { cifarPython: cifarPythonReader } };

async function collect(ds: Dataset, which: 'train' | 'val', shuffle = false): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of ds[which].epoch({ epoch: 0, batchSize: 7, shuffle, dropLast: false, seed: 1 })) out.push(b);
  return out;
}

/** The normalised value the val loader must yield for image `n`, pixel (y, x), channel c. */
function expectedPixel(planar: Uint8Array, n: number, y: number, x: number, c: number): number {
  return (planar[n * 3072 + c * 1024 + y * 32 + x] / 255 - CIFAR_MEAN[c]) / CIFAR_STD[c];
}

for (const format of ['binary', 'python'] as const) {
  test(`CIFAR-10 ${format} version: splits, order, labels, names and pixels`, async () => {
    const root = join(tmp, `c10-${format}`);
    const data = fakeCifar('cifar10', 4, 9);
    writeCifar(root, 'cifar10', format, data);
    await validateDatasetSpec({ kind: 'cifar10', root });
    const ds = await openDataset({ kind: 'cifar10', root }, quiet);
    try {
      assert.equal(ds.train.split.size, 20);
      assert.equal(ds.val.split.size, 9);
      assert.deepEqual(Array.from(ds.train.split.labels), data.train.labels);
      assert.deepEqual(ds.train.split.classNames, data.names);
      assert.deepEqual(ds.train.split.imageShape, [32, 32, 3]);
      const batches = await collect(ds, 'val');
      assert.deepEqual(batches.map((b) => b.shape[0]), [7, 2]);
      const b = batches[1];
      assert.deepEqual(Array.from(b.indexes), [7, 8]);
      assert.deepEqual(Array.from(b.labels), [data.test.labels[7], data.test.labels[8]]);
      for (const [y, x, c] of [[0, 0, 0], [5, 17, 1], [31, 31, 2]]) {
        const got = b.images[1 * 3072 + (y * 32 + x) * 3 + c];
        assert.ok(Math.abs(got - expectedPixel(data.test.planar, 8, y, x, c)) < 1e-5, `pixel ${y},${x},${c}`);
      }
      const train = await collect(ds, 'train', true);
      const seen = train.flatMap((t) => Array.from(t.indexes)).sort((x, y) => x - y);
      assert.deepEqual(seen, Array.from({ length: 20 }, (_, i) => i), 'a shuffled epoch visits every sample once');
      for (const t of train) t.indexes.forEach((i, k) => assert.equal(t.labels[k], data.train.labels[i]));
    } finally {
      await ds.close();
    }
  });

  test(`CIFAR-100 ${format} version uses fine labels and the published split files`, async () => {
    const root = join(tmp, `c100-${format}`);
    const data = fakeCifar('cifar100', 12, 5);
    writeCifar(root, 'cifar100', format, data);
    const ds = await openDataset({ kind: 'cifar100', root }, quiet);
    try {
      assert.equal(ds.train.split.numClasses, 100);
      assert.deepEqual(Array.from(ds.train.split.labels), data.train.labels);
      assert.deepEqual(Array.from(ds.val.split.labels), data.test.labels);
      assert.equal(ds.train.split.classNames[99], 'class_99');
    } finally {
      await ds.close();
    }
  });
}

test('the python version needs the pickle reader the engine is given; the binary one does not', async () => {
  const data = fakeCifar('cifar10', 3, 2);
  const py = writeCifar(join(tmp, 'no-reader-p'), 'cifar10', 'python', data);
  writeCifar(join(tmp, 'no-reader-b'), 'cifar10', 'binary', data);
  await assert.rejects(
    openDataset({ kind: 'cifar10', root: join(tmp, 'no-reader-p') }, { workers: 0, log: () => undefined }),
    (e: unknown) => e instanceof DatasetError && e.path === py && /python version, and no pickle reader was given/.test(e.message),
  );
  const ds = await openDataset({ kind: 'cifar10', root: join(tmp, 'no-reader-b') }, { workers: 0, log: () => undefined });
  assert.equal(ds.train.split.size, 5 * 3, 'five train batches of three images');
  await ds.close();
});

test('binary and python versions of the same data give identical batches', async () => {
  const data = fakeCifar('cifar10', 3, 6);
  writeCifar(join(tmp, 'same-b'), 'cifar10', 'binary', data);
  writeCifar(join(tmp, 'same-p'), 'cifar10', 'python', data);
  const a = await openDataset({ kind: 'cifar10', root: join(tmp, 'same-b') }, quiet);
  const b = await openDataset({ kind: 'cifar10', root: join(tmp, 'same-p') }, quiet);
  try {
    const ta = await collect(a, 'train', true);
    const tb = await collect(b, 'train', true);
    assert.deepEqual(ta, tb);
  } finally {
    await a.close();
    await b.close();
  }
});

test('the root may be the extracted folder itself; a missing meta file falls back to the published names', async () => {
  const data = fakeCifar('cifar100', 2, 2);
  const dir = writeCifar(join(tmp, 'self'), 'cifar100', 'binary', data);
  unlinkSync(join(dir, 'fine_label_names.txt'));
  const logs: string[] = [];
  const ds = await openDataset({ kind: 'cifar100', root: dir }, { ...quiet, log: (m) => logs.push(m) });
  try {
    assert.deepEqual(ds.train.split.classNames, CIFAR100_LABEL_NAMES);
    assert.ok(logs.some((l) => /no label-name file/.test(l)), 'logs.some((l) => /no label-name file/.test(l))');
    assert.ok(logs.some((l) => /train split has 2 images, the official one has 50000/.test(l)), 'logs.some((l) => /train split has 2 images, the official one has 50000');
  } finally {
    await ds.close();
  }
});

test('bad input: missing folder, no CIFAR inside, incomplete folder, truncated and corrupt files', async () => {
  const missing = join(tmp, 'nope');
  await assert.rejects(validateDatasetSpec({ kind: 'cifar10', root: missing }), (e: unknown) => e instanceof DatasetError && e.path === missing && /does not exist/.test(e.message));
  const empty = join(tmp, 'empty');
  writeFileSync(join(tmp, 'not-a-folder'), 'x');
  await assert.rejects(validateDatasetSpec({ kind: 'cifar10', root: join(tmp, 'not-a-folder') }), /is a file, not a folder/);
  mkdirSync(empty);
  await assert.rejects(
    validateDatasetSpec({ kind: 'cifar10', root: empty }),
    (e: unknown) => e instanceof DatasetError && e.path === empty && /no CIFAR-10 data found: expected cifar-10-batches-bin\/ or cifar-10-batches-py\//.test(e.message),
  );

  const data = fakeCifar('cifar10', 2, 2);
  const incomplete = writeCifar(join(tmp, 'incomplete'), 'cifar10', 'python', data);
  unlinkSync(join(incomplete, 'data_batch_3'));
  await assert.rejects(validateDatasetSpec({ kind: 'cifar10', root: join(tmp, 'incomplete') }), /incomplete: missing data_batch_3/);

  const truncated = writeCifar(join(tmp, 'trunc'), 'cifar10', 'binary', data);
  truncateSync(join(truncated, 'data_batch_2.bin'), 3073 * 2 - 100);
  const check = (e: unknown) => e instanceof DatasetError && e.path === join(truncated, 'data_batch_2.bin') && /not a whole number of 3073-byte CIFAR-10 records/.test(e.message);
  await assert.rejects(validateDatasetSpec({ kind: 'cifar10', root: join(tmp, 'trunc') }), check);
  await assert.rejects(openDataset({ kind: 'cifar10', root: join(tmp, 'trunc') }, quiet), check);

  const cut = writeCifar(join(tmp, 'cutpy'), 'cifar10', 'python', data);
  truncateSync(join(cut, 'test_batch'), 4000);
  await assert.rejects(openDataset({ kind: 'cifar10', root: join(tmp, 'cutpy') }, quiet), (e: unknown) => e instanceof DatasetError && e.path === join(cut, 'test_batch') && /truncated/.test(e.message));

  const junk = writeCifar(join(tmp, 'junkpy'), 'cifar10', 'python', data);
  writeFileSync(join(junk, 'data_batch_1'), 'this is not a pickle');
  await assert.rejects(validateDatasetSpec({ kind: 'cifar10', root: join(tmp, 'junkpy') }), /data_batch_1: not a CIFAR-10 python batch/);

  const badLabel = writeCifar(join(tmp, 'badlabel'), 'cifar10', 'binary', data);
  const f = join(badLabel, 'test_batch.bin');
  const buf = readFileSync(f);
  buf[3073] = 42;
  writeFileSync(f, buf);
  await assert.rejects(openDataset({ kind: 'cifar10', root: join(tmp, 'badlabel') }, quiet), /test_batch\.bin: record 1 has label 42; CIFAR-10 labels are 0–9/);
});

test('the spec is validated by its schema', async () => {
  await assert.rejects(validateDatasetSpec({ kind: 'cifar10', root: '  ' }), /root: a folder path is required/);
});
