/**
 * An imported CIFAR model in a gallery of an image folder: both of the folder's splits go
 * through the reference's CIFAR val transform (Normalize only with the CIFAR mean/std, on
 * 32×32), not the ImageNet one the folder's dataset kind would pick. Its val bank rows equal
 * models.embed of the same files (which uses that transform and refuses a resize), and a
 * file query of a val image ranks the bank as the val query does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bankFiles } from '../../../src-main/engine/eval/gallery-bank.ts';
import { startTestCore } from '../../fixtures/test-core.ts';
import { writeImageFolderTree } from '../../fixtures/image-folder-tree.ts';
import { waitFor } from '../../fixtures/wait-for.ts';
import { fixturePath } from '../../unit/acquire/torch-fixtures.ts';

test('an imported CIFAR model embeds its image-folder val bank with Normalize only at 32×32', { timeout: 120_000 }, async () => {
  const t = await startTestCore('completing', { backend: 'wasm' });
  const data = mkdtempSync(join(tmpdir(), 'snca-gallery-cifar-'));
  try {
    const job = await t.core.call('models.import', { path: fixturePath('cifar-resnet18-w4.zip.t7'), name: 'c18' });
    const end = await t.core.models.whenImportEnded(job.jobId);
    assert.equal(end?.phase, 'done', end?.message ?? '');
    const modelId = end!.modelId!;
    assert.equal((await t.core.call('models.get', { id: modelId })).bankRows, 20);
    // 2 classes × 10 = 20 train images (the bank's rows), 32×32 as CIFAR's.
    const tree = await writeImageFolderTree(data, ['cat', 'dog'], { train: 10, val: 2 }, 32);
    await t.core.call('models.update', { id: modelId, trainFolder: join(data, 'train') });
    const source = { kind: 'model' as const, modelId };
    const dataset = { kind: 'imagefolder' as const, root: data, corruptThreshold: 0.001 };
    const first = await t.core.call('gallery.search', { dataset, query: { split: 'val', index: 0 }, sources: [source] });
    assert.equal(first.rows[0]!.status, 'computing');
    const jobId = first.rows[0]!.jobId;
    await waitFor(
      () => t.events.some((e) => e.event === 'gallery.bank' && e.payload.jobId === jobId && e.payload.status !== 'running'),
      () => `bank job ${jobId} ended`,
      90_000,
      100,
    );
    const last = t.events.filter((e) => e.event === 'gallery.bank' && e.payload.jobId === jobId).at(-1)!.payload as { status: string; error: string | null };
    assert.equal(last.status, 'completed', last.error ?? '');

    const embedded = await t.core.call('models.embed', { model: modelId, images: tree.valImages });
    assert.equal(embedded.transform, 'normalize (CIFAR mean/std), 32×32 input');
    const dir = join(t.home, 'cache', 'galleries', `model-${modelId}`);
    const bank = readdirSync(dir).find((d) => d !== 'bank-only')!;
    const val = new Float32Array(new Uint8Array(readFileSync(bankFiles(join(dir, bank), 'val').features)).buffer);
    assert.equal(val.length, 4 * embedded.dim);
    let worst = 0;
    for (let r = 0; r < 4; r++) for (let d = 0; d < embedded.dim; d++) worst = Math.max(worst, Math.abs(val[r * embedded.dim + d]! - embedded.embeddings[r]![d]!));
    assert.ok(worst < 1e-4, `val bank vs models.embed: worst difference ${worst}`);

    const valQuery = await t.core.call('gallery.search', { dataset, query: { split: 'val', index: 2 }, sources: [source] });
    assert.equal(valQuery.rows[0]!.hits.length, 20);
    const base64 = readFileSync(tree.valImages[2]!).toString('base64');
    const fileQuery = await t.core.call('gallery.search', { dataset, query: { image: { name: 'v.png', base64 } }, sources: [source] });
    assert.equal(fileQuery.rows[0]!.status, 'ready', fileQuery.rows[0]!.error ?? '');
    assert.deepEqual(fileQuery.rows[0]!.hits.map((h) => h.index), valQuery.rows[0]!.hits.map((h) => h.index));
    for (let i = 0; i < 20; i++) assert.ok(Math.abs(fileQuery.rows[0]!.hits[i]!.similarity - valQuery.rows[0]!.hits[i]!.similarity) < 1e-4);
  } finally {
    await t.dispose();
    rmSync(data, { recursive: true, force: true });
  }
});

test('a changed train folder gives new labels: the bank made from its earlier listing is replaced, not reused', { timeout: 120_000 }, async () => {
  const t = await startTestCore('completing', { backend: 'wasm' });
  const data = mkdtempSync(join(tmpdir(), 'snca-gallery-stale-'));
  try {
    const job = await t.core.call('models.import', { path: fixturePath('cifar-resnet18-w4.zip.t7'), name: 'c18' });
    const modelId = (await t.core.models.whenImportEnded(job.jobId))!.modelId!;
    await writeImageFolderTree(data, ['cat', 'dog'], { train: 10, val: 1 }, 32);
    await t.core.call('models.update', { id: modelId, trainFolder: join(data, 'train') });
    const source = { kind: 'model' as const, modelId };
    const dataset = { kind: 'imagefolder' as const, root: data, corruptThreshold: 0.001 };
    const searchReady = async (index: number) => {
      const q = { dataset, query: { split: 'train' as const, index }, sources: [source] };
      let r = await t.core.call('gallery.search', q);
      if (r.rows[0]!.status === 'computing') {
        const jobId = r.rows[0]!.jobId;
        await waitFor(() => t.events.some((e) => e.event === 'gallery.bank' && e.payload.jobId === jobId && e.payload.status !== 'running'), () => `bank job ${jobId}`, 90_000, 100);
        r = await t.core.call('gallery.search', q);
      }
      assert.equal(r.rows[0]!.status, 'ready', r.rows[0]!.error ?? '');
      return r;
    };
    const before = await searchReady(9);
    assert.deepEqual([before.query.label, before.query.className], [0, 'cat'], 'row 9 is the last cat');
    const banks = join(t.home, 'cache', 'galleries', `model-${modelId}`);
    const oldBank = readdirSync(banks).filter((d) => d !== 'bank-only');
    assert.equal(oldBank.length, 1);

    // The last cat becomes a dog (same 20 images): row 9 is now dog/000.png, label 1.
    renameSync(join(data, 'train', 'cat', '009.png'), join(data, 'train', 'dog', '010.png'));
    await new Promise((r) => setTimeout(r, 1100)); // the remembered fingerprint's time
    const after = await searchReady(9);
    assert.deepEqual([after.query.label, after.query.className], [1, 'dog']);
    assert.equal(after.rows[0]!.hits[0]!.index, 9);
    assert.equal(after.rows[0]!.hits[0]!.className, 'dog');
    const nowBanks = readdirSync(banks).filter((d) => d !== 'bank-only');
    assert.equal(nowBanks.length, 1, `the stale bank is removed: ${nowBanks.join(', ')}`);
    assert.notEqual(nowBanks[0], oldBank[0]);
  } finally {
    await t.dispose();
    rmSync(data, { recursive: true, force: true });
  }
});
