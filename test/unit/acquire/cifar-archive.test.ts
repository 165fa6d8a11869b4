import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, test } from 'node:test';
import { checkDatasetArchive, importCifarArchive } from '../../../src-main/acquire/cifar-archive.ts';
import { DatasetError } from '../../../src-main/engine/data/data-errors.ts';
import { ArchiveError, extractTarGz } from '../../../src-main/acquire/tar-extract.ts';
import { fakeCifar, tarEntry, tarGzOf, writeCifar } from '../engine/data/cifar-fixtures.ts';

const tmp = mkdtempSync(join(tmpdir(), 'snca-archive-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function makeArchive(name: string): { path: string; md5: string; bytes: Buffer } {
  const src = join(tmp, `${name}-src`);
  writeCifar(src, 'cifar10', 'python', fakeCifar('cifar10', 2, 3));
  const bytes = tarGzOf(src, join(src, 'cifar-10-batches-py'));
  const path = join(tmp, `${name}.tar.gz`);
  writeFileSync(path, bytes);
  return { path, md5: createHash('md5').update(bytes).digest('hex'), bytes };
}

test('imports a local archive (no network) and finds the python folder', async () => {
  const a = makeArchive('ok');
  const root = join(tmp, 'import-ok');
  const layout = await importCifarArchive('cifar10', a.path, root, { md5: a.md5 });
  assert.equal(layout.format, 'python');
  assert.equal(layout.dir, join(root, 'cifar-10-batches-py'));
  assert.deepEqual(readdirSync(root), ['cifar-10-batches-py'], 'no temporary folder is left behind');
  await assert.rejects(importCifarArchive('cifar10', a.path, root, { md5: false }), /cifar-10-batches-py: already exists/);
});

test('rejects an archive that is not the official one: by size before hashing, then by md5', async () => {
  const a = makeArchive('md5');
  await assert.rejects(
    importCifarArchive('cifar10', a.path, join(tmp, 'import-md5')),
    (e: unknown) => e instanceof DatasetError && e.path === a.path && /not a CIFAR-10 dataset archive \(expected the official \.tar\.gz file\)$/.test(e.message),
  );
  await assert.rejects(
    importCifarArchive('cifar10', a.path, join(tmp, 'import-md5'), { md5: 'c58f30108f718f92721af3b95e74349a', size: a.bytes.length }),
    (e: unknown) => e instanceof DatasetError && e.path === a.path && /md5 is [0-9a-f]{32}, expected c58f30108f718f92721af3b95e74349a/.test(e.message),
  );
});

test('path probing: a missing file, a folder, a text file and a gzip of the wrong size get one answer, before any hashing', async () => {
  const text = join(tmp, 'passwd');
  writeFileSync(text, 'root:x:0:0:root:/root:/bin/bash\n'.repeat(20));
  const gz = join(tmp, 'small.tar.gz');
  writeFileSync(gz, gzipSync(Buffer.alloc(1024)));
  const answers = [];
  for (const p of [join(tmp, 'absent'), tmp, text, gz]) {
    const err = await checkDatasetArchive('cifar10', p, [170498071]).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof DatasetError, p);
    answers.push(err.message.slice(p.length));
  }
  assert.deepEqual(new Set(answers), new Set([': not a CIFAR-10 dataset archive (expected the official .tar.gz file)']));
  assert.equal(await checkDatasetArchive('cifar10', gz, null), readFileSync(gz).length, 'any size when none is expected');
  await assert.rejects(checkDatasetArchive('cifar10', text, null), /not a CIFAR-10 dataset archive/);
});

test('a truncated archive gives a clear error naming it and leaves nothing extracted', async () => {
  const a = makeArchive('trunc');
  const cut = join(tmp, 'cut.tar.gz');
  writeFileSync(cut, a.bytes.subarray(0, Math.floor(a.bytes.length / 2)));
  const root = join(tmp, 'import-trunc');
  await assert.rejects(
    importCifarArchive('cifar10', cut, root, { md5: false }),
    (e: unknown) => e instanceof ArchiveError && e.path === cut && /truncated/.test(e.message),
  );
  assert.deepEqual(readdirSync(root), []);
});

test('non-gzip files, missing files and wrong content are reported', async () => {
  const notGz = join(tmp, 'plain.tar.gz');
  writeFileSync(notGz, 'hello');
  await assert.rejects(importCifarArchive('cifar10', notGz, join(tmp, 'i1'), { md5: false }), (e: unknown) => e instanceof ArchiveError && /not a valid \.tar\.gz/.test(e.message));
  await assert.rejects(importCifarArchive('cifar10', join(tmp, 'absent.tar.gz'), join(tmp, 'i2')), /absent\.tar\.gz: not a CIFAR-10 dataset archive/);
  await assert.rejects(importCifarArchive('cifar10', join(tmp, 'absent.tar.gz'), join(tmp, 'i2'), { md5: false }), /absent\.tar\.gz: archive file does not exist/);
  const other = join(tmp, 'other.tar.gz');
  writeFileSync(other, gzipSync(Buffer.concat([tarEntry('readme.txt', Buffer.from('hi')), Buffer.alloc(1024)])));
  await assert.rejects(importCifarArchive('cifar10', other, join(tmp, 'i3'), { md5: false }), /holds readme\.txt, not a CIFAR-10 folder/);
  const garbageTar = join(tmp, 'garbage.tar.gz');
  writeFileSync(garbageTar, gzipSync(Buffer.alloc(2048, 7)));
  await assert.rejects(extractTarGz(garbageTar, join(tmp, 'i4')), /corrupt tar header at byte 0/);
});

test('tar entries escaping the destination are refused; long names are supported', async () => {
  const dest = join(tmp, 'x1');
  mkdirSync(dest);
  const evil = join(tmp, 'evil.tar.gz');
  writeFileSync(evil, gzipSync(Buffer.concat([tarEntry('../escape.txt', Buffer.from('bad')), Buffer.alloc(1024)])));
  await assert.rejects(extractTarGz(evil, dest), /entry '\.\.\/escape\.txt' would be written outside/);
  assert.equal(existsSync(join(tmp, 'escape.txt')), false);
  const longName = `d/${'n'.repeat(150)}.txt`;
  const ok = join(tmp, 'long.tar.gz');
  writeFileSync(ok, gzipSync(Buffer.concat([tarEntry(longName, Buffer.from('long')), tarEntry('d/empty.bin', Buffer.alloc(0)), Buffer.alloc(1024)])));
  const res = await extractTarGz(ok, dest);
  assert.equal(readFileSync(join(dest, longName), 'utf8'), 'long');
  assert.equal(readFileSync(join(dest, 'd/empty.bin')).length, 0);
  assert.deepEqual(res.topLevel, ['d']);
  assert.equal(res.files, 2);
});

test('download progress renders as a text bar', async () => {
  const { formatDownloadProgress } = await import('../../../src-main/acquire/download-progress.ts');
  const base = { url: 'u', path: 'p', resumedFrom: 0, done: false };
  assert.equal(formatDownloadProgress({ ...base, receivedBytes: 85_000_000, totalBytes: 170_000_000, bytesPerSecond: 5_300_000 }, 10), '[#####-----]  50.0%  85.0/170.0 MB  5.3 MB/s');
  assert.equal(formatDownloadProgress({ ...base, receivedBytes: 1_000_000, totalBytes: null, bytesPerSecond: 0 }), '1.0 MB  0.0 MB/s');
});
