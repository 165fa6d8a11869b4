/** `snca data download|import|check` in-process, against generated CIFAR archives served on 127.0.0.1. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../../../src-main/cli/program.ts';
import { recordingContext } from '../../fixtures/cli-context.ts';
import { makeTempDir, type TempDir } from '../../fixtures/temp-home.ts';
import { fakeCifar, tarGzOf, writeCifar } from '../engine/data/cifar-fixtures.ts';
import { writeImage } from '../engine/data/image-folder-fixtures.ts';

let tmp: TempDir;
let archive: Buffer;
let md5 = '';
let base = '';
const server = http.createServer((req, res) => {
  if (req.url !== '/a.tar.gz') return void res.writeHead(404).end();
  res.writeHead(200, { 'content-length': archive.length });
  res.write(archive.subarray(0, 1000));
  setTimeout(() => res.end(archive.subarray(1000)), 300);
});

before(async () => {
  tmp = makeTempDir('snca-data-cli-');
  const src = join(tmp.dir, 'src');
  writeCifar(src, 'cifar10', 'binary', fakeCifar('cifar10', 2, 2));
  archive = tarGzOf(src, join(src, 'cifar-10-batches-bin'));
  md5 = createHash('md5').update(archive).digest('hex');
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise((r) => server.close(r));
  tmp.cleanup();
});

test('data download draws progress on stderr and extracts into --root; data check then says OK', { timeout: 60_000 }, async () => {
  const home = join(tmp.dir, 'home1');
  const root = join(tmp.dir, 'dl');
  const ctx = recordingContext({ home, cifarSource: () => ({ url: `${base}/a.tar.gz`, md5 }) });
  assert.equal(await runCli(['data', 'download', 'cifar10', '--root', root, '--format', 'binary'], ctx), 0, ctx.err());
  assert.match(ctx.err(), /\[#*-*\]\s+\d+\.\d%\s+0\.0\/0\.0 MB/);
  assert.match(ctx.err(), /extracting…/);
  assert.match(ctx.out(), new RegExp(`CIFAR-10 is ready in ${root}\\nDataset root: ${root}\\n`));
  const check = recordingContext({ home });
  assert.equal(await runCli(['data', 'check', root], check), 0, check.err());
  assert.equal(check.out(), `OK: cifar10 in ${join(root, 'cifar-10-batches-bin')} (binary), 10 classes, 10 train / 2 val images\n`);
});

test('data download without --root uses $SNCA_HOME/datasets/<kind>; offline gives the import hint', { timeout: 60_000 }, async () => {
  const home = join(tmp.dir, 'home2');
  const ok = recordingContext({ home, cifarSource: () => ({ url: `${base}/a.tar.gz`, md5 }) });
  assert.equal(await runCli(['data', 'download', 'cifar10', '--format', 'binary'], ok), 0, ok.err());
  assert.match(ok.out(), new RegExp(`Dataset root: ${join(home, 'datasets', 'cifar10')}\\n`));
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const dead = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const off = recordingContext({ home, cifarSource: () => ({ url: `http://127.0.0.1:${dead}/a.tar.gz`, md5 }) });
  assert.equal(await runCli(['data', 'download', 'cifar100'], off), 1);
  assert.match(off.err(), /error: No network: import a local archive instead\./);
});

test('data import extracts a local archive; a wrong md5 and a bad kind are refused naming the problem', { timeout: 60_000 }, async () => {
  const home = join(tmp.dir, 'home3');
  const path = join(tmp.dir, 'copy.tar.gz');
  writeFileSync(path, archive);
  const root = join(tmp.dir, 'imported');
  const ctx = recordingContext({ home, cifarSource: () => ({ url: 'unused', md5 }) });
  assert.equal(await runCli(['data', 'import', 'cifar10', path, '--root', root], ctx), 0, ctx.err());
  assert.match(ctx.out(), /CIFAR-10 imported from .* into /);
  // Without a configured source, only the official archive (its size, then its md5) is accepted.
  const official = recordingContext({ home });
  assert.equal(await runCli(['data', 'import', 'cifar10', path, '--root', join(tmp.dir, 'imp2')], official), 1);
  assert.match(official.err(), new RegExp(`error: ${path}: not a CIFAR-10 dataset archive \\(expected the official \\.tar\\.gz file\\)`));
  const wrongMd5 = recordingContext({ home, cifarSource: () => ({ url: 'unused', md5: 'c58f30108f718f92721af3b95e74349a', size: archive.length }) });
  assert.equal(await runCli(['data', 'import', 'cifar10', path, '--root', join(tmp.dir, 'imp3')], wrongMd5), 1);
  assert.match(wrongMd5.err(), new RegExp(`error: ${path}: md5 is ${md5}, expected c58f30108f718f92721af3b95e74349a`));
  const kind = recordingContext({ home });
  assert.equal(await runCli(['data', 'import', 'svhn', path], kind), 1);
  assert.match(kind.err(), /value 'svhn' is invalid for argument 'kind'\. Expected one of: cifar10, cifar100/);
});

test('data check names the path and the problem: empty class folder, missing folder', { timeout: 60_000 }, async () => {
  const home = join(tmp.dir, 'home4');
  const root = join(tmp.dir, 'inet');
  await writeImage(join(root, 'train', 'a', 'x.png'), 'png', [1, 2, 3]);
  await writeImage(join(root, 'val', 'a', 'y.png'), 'png', [1, 2, 3]);
  const good = recordingContext({ home });
  assert.equal(await runCli(['data', 'check', root], good), 0, good.err());
  assert.equal(good.out(), `OK: imagefolder in ${root} (imagefolder), 1 classes\n`);
  mkdirSync(join(root, 'train', 'b'));
  const bad = recordingContext({ home });
  assert.equal(await runCli(['data', 'check', root], bad), 1);
  assert.match(bad.err(), new RegExp(`error: ${join(root, 'train', 'b')}: class folder has no image files`));
  const missing = recordingContext({ home });
  assert.equal(await runCli(['data', 'check', join(tmp.dir, 'nothing')], missing), 1);
  assert.match(missing.err(), /error: .*nothing: folder does not exist/);
});
