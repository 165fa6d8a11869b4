/**
 * Importing the reference's PyTorch checkpoints (test/fixtures/torch/, written by PyTorch)
 * through the contract, with the real import worker: provenance recorded, weights and bank
 * files in models/<id>/, a second import of the same bytes refused naming the model, hostile
 * or cancelled imports leaving no row and no file; rename, train folder, remove.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelImportProgress } from '../../../shared/models.ts';
import { ApiError } from '../../../shared/api-error.ts';
import { startTestCore, type TestCore } from '../../fixtures/test-core.ts';
import { waitFor } from '../../fixtures/wait-for.ts';
import { writeImageFolderTree } from '../../fixtures/image-folder-tree.ts';
import { expectedTorchFixtures, fixturePath } from '../acquire/torch-fixtures.ts';

const expected = expectedTorchFixtures();

async function importAndWait(t: TestCore, path: string, name?: string): Promise<ModelImportProgress> {
  const job = await t.core.call('models.import', { path, ...(name ? { name } : {}) });
  const end = await t.core.models.whenImportEnded(job.jobId);
  assert.ok(end, 'the job was known until it ended');
  return end;
}

/** Entries of models/ other than the folders of recorded models. */
function strayEntries(t: TestCore): string[] {
  const recorded = new Set(t.store.models.list().map((m) => m.id));
  return readdirSync(t.core.paths.modelsDir).filter((e) => !recorded.has(e));
}

test('an ImageNet .pth.tar (legacy) and a CIFAR .t7 (zip) import with their provenance, weights and bank', { timeout: 120_000 }, async () => {
  const t = await startTestCore('completing');
  try {
    for (const file of ['imagenet-resnet18-w4.legacy.pth.tar', 'cifar-resnet18-w4.zip.t7']) {
      const path = fixturePath(file);
      const x = expected.checkpoints[file]!;
      const end = await importAndWait(t, path);
      assert.equal(end.phase, 'done', end.message);
      const m = await t.core.call('models.get', { id: end.modelId! });
      assert.equal(m.name, file.replace(/\.(pth\.tar|t7)$/, ''));
      assert.equal(m.fileName, file);
      assert.equal(m.fileBytes, statSync(path).size);
      assert.equal(m.sha256, createHash('sha256').update(readFileSync(path)).digest('hex'));
      assert.equal(m.arch, x.arch);
      assert.deepEqual(m.config, { width: x.width, lowDim: x.lowDim });
      assert.equal(m.layout, x.layout);
      assert.equal(m.format, x.format);
      assert.equal(m.epoch, x.epoch);
      assert.ok(Math.abs(m.accuracy! - x.bestPrec1) < 1e-6, `accuracy ${m.accuracy} vs ${x.bestPrec1}`);
      assert.ok(Math.abs(m.temperature! - x.temperature) < 1e-6);
      assert.ok(Math.abs(m.momentum! - x.momentum) < 1e-6);
      assert.equal(m.bankRows, x.bankRows);
      assert.equal(m.bankDim, x.lowDim);
      assert.equal(m.trainFolder, null);
      const dir = t.core.paths.modelDir(m.id);
      const bank = readFileSync(join(dir, 'bank.f32'));
      assert.equal(bank.length, x.bankRows * x.lowDim * 4, 'the bank is rows × dim float32');
      const head = new Float32Array(bank.buffer, bank.byteOffset, 8);
      x.bankHead.forEach((v, i) => assert.ok(Math.abs(head[i]! - v) < 1e-7, `bank[0, ${i}] = ${head[i]}, torch ${v}`));
      assert.equal(m.storedBytes, bank.length + statSync(join(dir, 'weights.safetensors')).size);
      const phases = t.events.filter((e) => e.event === 'model.importProgress' && e.payload.jobId === m.id).map((e) => (e.payload as ModelImportProgress).phase);
      assert.deepEqual([...new Set(phases)], ['hash', 'read', 'copy', 'done']);
      assert.ok(t.events.some((e) => e.event === 'model.changed' && e.payload.id === m.id));
    }
    assert.deepEqual((await t.core.call('models.list', {})).map((m) => m.layout), ['cifar', 'imagenet'], 'newest first');
    assert.deepEqual(strayEntries(t), [], 'no staging folder left');
  } finally {
    await t.dispose();
  }
});

test('the same bytes are imported once: a second import (even renamed) is refused naming the model, and leaves nothing', { timeout: 120_000 }, async () => {
  const t = await startTestCore('completing');
  try {
    const path = fixturePath('cifar-resnet34-w2.legacy.t7');
    const first = await importAndWait(t, path, 'cifar34');
    assert.equal(first.phase, 'done', first.message);
    const copy = join(t.home, 'renamed.t7');
    copyFileSync(path, copy);
    for (const p of [path, copy]) {
      const again = await importAndWait(t, p);
      assert.equal(again.phase, 'error');
      assert.match(again.message!, /imported before, as model "cifar34"/);
    }
    assert.equal((await t.core.call('models.list', {})).length, 1);
    assert.deepEqual(strayEntries(t), []);
    await assert.rejects(t.core.call('models.import', { path: fixturePath('cifar-resnet18-w4.zip.t7'), name: 'cifar34' }), (e: ApiError) => e.code === 'conflict' && /exists already/.test(e.message));
  } finally {
    await t.dispose();
  }
});

test('hostile files (a pickle naming os.system, a storage larger than the file) are refused with the file named, leaving nothing', { timeout: 120_000 }, async () => {
  const t = await startTestCore('completing');
  try {
    for (const file of ['hostile-os-system.legacy.pth', 'hostile-os-system.zip.pth', 'hostile-oversized-storage.legacy.pth']) {
      const end = await importAndWait(t, fixturePath(file));
      assert.equal(end.phase, 'error', file);
      assert.ok(end.message!.includes(file), `the error names the file: ${end.message}`);
      if (file.includes('os-system')) assert.match(end.message!, /os\.?system|posix|not allowed|refus/i);
    }
    assert.deepEqual(await t.core.call('models.list', {}), []);
    assert.deepEqual(readdirSync(t.core.paths.modelsDir), [], 'no model folder, no staging folder');
    await assert.rejects(t.core.call('models.import', { path: join(t.home, 'nope.pth') }), (e: ApiError) => e.code === 'not_found');
    await assert.rejects(t.core.call('models.import', { path: t.home }), (e: ApiError) => e.code === 'invalid_input');
  } finally {
    await t.dispose();
  }
});

test('a cancelled import (during hashing) keeps no row and no file', { timeout: 120_000 }, async () => {
  const t = await startTestCore('completing');
  try {
    // 400 MB, sparse: hashing it takes long enough to cancel midway.
    const big = join(t.home, 'big.pth.tar');
    copyFileSync(fixturePath('imagenet-resnet18-w4.legacy.pth.tar'), big);
    truncateSync(big, 400 * 1024 * 1024);
    const job = await t.core.call('models.import', { path: big });
    await new Promise<void>((resolve) => {
      const off = t.core.bus.on('model.importProgress', (p) => {
        if (p.jobId === job.jobId && p.phase === 'hash' && p.bytes > 0) {
          off();
          resolve();
        }
      });
    });
    assert.deepEqual(await t.core.call('models.cancelImport', { jobId: job.jobId }), { cancelled: true });
    const end = await t.core.models.whenImportEnded(job.jobId);
    assert.equal(end?.phase, 'cancelled', end?.message);
    assert.ok(end!.bytes < end!.totalBytes, 'it stopped before the end of the file');
    assert.deepEqual(await t.core.call('models.list', {}), []);
    assert.deepEqual(readdirSync(t.core.paths.modelsDir), []);
  } finally {
    await t.dispose();
  }
});

test('rename, train folder and remove', { timeout: 120_000 }, async () => {
  const t = await startTestCore('completing');
  try {
    const a = await importAndWait(t, fixturePath('cifar-resnet18-w4.zip.t7'), 'a');
    const b = await importAndWait(t, fixturePath('cifar-resnet34-w2.legacy.t7'), 'b');
    await assert.rejects(t.core.call('models.update', { id: b.modelId!, name: 'a' }), (e: ApiError) => e.code === 'conflict');
    const renamed = await t.core.call('models.update', { id: b.modelId!, name: 'b2' });
    assert.equal(renamed.name, 'b2');
    await assert.rejects(t.core.call('models.update', { id: a.modelId!, trainFolder: join(t.home, 'missing') }), (e: ApiError) => e.code === 'invalid_input' && /does not exist/.test(e.message));
    const train = join((await writeImageFolderTree(join(t.home, 'data'), ['cat', 'dog'], { train: 10, val: 1 }, 8)).root, 'train');
    const pointed = await t.core.call('models.update', { id: a.modelId!, trainFolder: train, classNames: ['cat', 'dog'] });
    assert.equal(pointed.trainFolder, train);
    assert.deepEqual(pointed.classNames, ['cat', 'dog']);
    assert.equal((await t.core.call('models.update', { id: a.modelId!, trainFolder: null })).trainFolder, null);
    const dir = t.core.paths.modelDir(a.modelId!);
    const removed = await t.core.call('models.remove', { id: a.modelId! });
    assert.deepEqual(removed, { id: a.modelId!, removed: true, bytesFreed: pointed.storedBytes });
    assert.equal(existsSync(dir), false);
    assert.deepEqual((await t.core.call('models.list', {})).map((m) => m.name), ['b2']);
    assert.ok(t.events.some((e) => e.event === 'model.removed' && e.payload.id === a.modelId));
    await assert.rejects(t.core.call('models.get', { id: a.modelId! }), (e: ApiError) => e.code === 'not_found');
  } finally {
    await t.dispose();
  }
});

test('a train folder must hold one image per bank row, and one class folder per class name given', { timeout: 60_000 }, async () => {
  const t = await startTestCore('completing');
  try {
    const { modelId } = await importAndWait(t, fixturePath('cifar-resnet18-w4.zip.t7'), 'c');
    const id = modelId!;
    assert.equal(expected.checkpoints['cifar-resnet18-w4.zip.t7']!.bankRows, 20);
    const short = join((await writeImageFolderTree(join(t.home, 'short'), ['a', 'b'], { train: 9, val: 1 }, 8)).root, 'train');
    const refusal = (pattern: RegExp, path: string) => (e: ApiError) => e.code === 'invalid_input' && pattern.test(e.message) && e.issues?.[0]?.path === path;
    await assert.rejects(t.core.call('models.update', { id, trainFolder: short }), refusal(/holds 18 images but the bank of c has 20 rows/, 'trainFolder'));
    const flat = join(t.home, 'flat');
    mkdirSync(flat);
    await assert.rejects(t.core.call('models.update', { id, trainFolder: flat }), refusal(/not an ImageFolder: .*no class folders/, 'trainFolder'));
    assert.equal((await t.core.call('models.get', { id })).trainFolder, null, 'a refused folder is not saved');

    const train = join((await writeImageFolderTree(join(t.home, 'ok'), ['a', 'b', 'c', 'd'], { train: 5, val: 1 }, 8)).root, 'train');
    await assert.rejects(t.core.call('models.update', { id, trainFolder: train, classNames: ['x', 'y', 'z'] }), refusal(/has 4 class folders but 3 class names are given/, 'classNames'));
    assert.equal((await t.core.call('models.update', { id, trainFolder: train })).trainFolder, train);
    // Class names alone are checked against the saved folder.
    await assert.rejects(t.core.call('models.update', { id, classNames: ['x'] }), refusal(/has 4 class folders but 1 class names/, 'classNames'));
    assert.deepEqual((await t.core.call('models.update', { id, classNames: ['w', 'x', 'y', 'z'] })).classNames, ['w', 'x', 'y', 'z']);
    // Clearing the folder is always allowed; names without a folder cannot be checked.
    assert.equal((await t.core.call('models.update', { id, trainFolder: null, classNames: ['x'] })).trainFolder, null);
  } finally {
    await t.dispose();
  }
});

test('a model imported, renamed or removed by another process (the CLI) reaches this core’s bus', { timeout: 120_000 }, async () => {
  const window = await startTestCore('completing', { changePollMs: 100 });
  const cli = await startTestCore('completing', { home: window.home, adoptQueued: false });
  try {
    const end = await importAndWait(cli, fixturePath('cifar-resnet18-w4.zip.t7'), 'from the CLI');
    const id = end.modelId!;
    const changedTo = (name: string) => window.events.find((e) => e.event === 'model.changed' && e.payload.id === id && e.payload.name === name);
    await waitFor(() => changedTo('from the CLI'), () => 'model.changed of the imported model', 2000);
    await cli.core.call('models.update', { id, name: 'renamed' });
    await waitFor(() => changedTo('renamed'), () => 'model.changed after the rename', 2000);
    await cli.core.call('models.remove', { id });
    await waitFor(() => window.events.find((e) => e.event === 'model.removed' && e.payload.id === id), () => 'model.removed', 2000);
    assert.equal(window.events.filter((e) => e.event === 'model.changed' && e.payload.id === id && e.payload.name === 'renamed').length, 1, 'published once');
  } finally {
    await cli.dispose();
    await window.dispose();
  }
});
