/**
 * An imported model as a gallery source: its imported bank is searched as it is (train.f32
 * links to models/<id>/bank.f32, nothing copied), so train image i finds bank row i first.
 * Without a train folder the hits are bank rows with similarities and no label; once the
 * model points at its train folder the labels and class names are the folder's, val
 * queries are embedded with the imported weights (as models.embed embeds them), and so are
 * image files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bankFiles } from '../../../src-main/engine/eval/gallery-bank.ts';
import { startTestCore } from '../../fixtures/test-core.ts';
import { writeImageFolderTree } from '../../fixtures/image-folder-tree.ts';
import { waitFor } from '../../fixtures/wait-for.ts';
import { fixturePath } from '../../unit/acquire/torch-fixtures.ts';

const ROWS = 24;

test('an imported model is a gallery source: its own bank row i is the top hit for train image i', { timeout: 240_000 }, async () => {
  const t = await startTestCore('completing', { backend: 'wasm' });
  const data = mkdtempSync(join(tmpdir(), 'snca-gallery-model-'));
  try {
    const job = await t.core.call('models.import', { path: fixturePath('imagenet-resnet18-w4.legacy.pth.tar'), name: 'r18' });
    const end = await t.core.models.whenImportEnded(job.jobId);
    assert.equal(end?.phase, 'done', end?.message ?? '');
    const modelId = end!.modelId!;
    const model = await t.core.call('models.get', { id: modelId });
    assert.equal(model.bankRows, ROWS);
    const source = { kind: 'model' as const, modelId };
    const listed = (await t.core.call('gallery.sources', {})).find((s) => s.source.kind === 'model');
    assert.deepEqual(listed, { source, title: 'model r18', dataset: null });

    // No train folder: bank rows only, for whatever dataset the gallery shows.
    const anyDataset = { kind: 'mnist' as const, trainSize: 100, valSize: 20 };
    for (let i = 0; i < ROWS; i++) {
      const r = await t.core.call('gallery.search', { dataset: anyDataset, query: { split: 'train', index: i }, sources: [source] });
      const row = r.rows[0]!;
      assert.equal(row.status, 'ready', row.error ?? '');
      assert.equal(row.hits.length, 20);
      assert.equal(row.hits[0]!.index, i, `bank row ${i} finds itself first`);
      assert.ok(Math.abs(row.hits[0]!.similarity - 1) < 1e-5, `self-similarity ${row.hits[0]!.similarity}`);
      assert.ok(row.hits.every((h) => h.label === -1 && h.className === '' && !h.sameClass));
      assert.equal(r.query.label, null);
    }
    const bankOnly = join(t.home, 'cache', 'galleries', `model-${modelId}`, 'bank-only');
    assert.ok(lstatSync(bankFiles(bankOnly, 'train').features).isSymbolicLink(), 'the imported bank is linked, not copied');

    // With its train folder (3 classes × 8 = 24 images, bank row i = i-th image in ImageFolder order).
    const tree = await writeImageFolderTree(data, ['ant', 'bee', 'cat'], { train: 8, val: 2 });
    await t.core.call('models.update', { id: modelId, trainFolder: join(data, 'train') });
    const dataset = { kind: 'imagefolder' as const, root: data, corruptThreshold: 0.001 };
    assert.deepEqual((await t.core.call('gallery.sources', {})).find((s) => s.source.kind === 'model')?.dataset, dataset);
    const other = { kind: 'imagefolder' as const, root: join(data, 'elsewhere'), corruptThreshold: 0.001 };
    const refused = await t.core.call('gallery.search', { dataset: other, query: { split: 'train', index: 0 }, sources: [source, { kind: 'raw' }] });
    assert.equal(refused.rows[0]!.status, 'failed');
    assert.match(refused.rows[0]!.error ?? '', /bank rows are the images of/);

    const first = await t.core.call('gallery.search', { dataset, query: { split: 'train', index: 9 }, sources: [source] });
    assert.equal(first.rows[0]!.status, 'computing', 'the val split is embedded by a bank job');
    const jobId = first.rows[0]!.jobId;
    await waitFor(
      () => t.events.some((e) => e.event === 'gallery.bank' && e.payload.jobId === jobId && e.payload.status !== 'running'),
      () => `bank job ${jobId} ended`,
      180_000,
      200,
    );
    const last = t.events.filter((e) => e.event === 'gallery.bank' && e.payload.jobId === jobId).at(-1)!.payload;
    assert.equal((last as { status: string }).status, 'completed', JSON.stringify(last));
    assert.equal((last as { total: number }).total, 6, 'only the 6 val images are embedded');
    for (let i = 0; i < ROWS; i++) {
      const r = await t.core.call('gallery.search', { dataset, query: { split: 'train', index: i }, sources: [source] });
      const hits = r.rows[0]!.hits;
      assert.equal(hits[0]!.index, i);
      assert.equal(hits[0]!.className, ['ant', 'bee', 'cat'][Math.floor(i / 8)]);
      assert.equal(r.query.label, Math.floor(i / 8));
      assert.ok(hits[0]!.sameClass);
    }
    const dir = join(t.home, 'cache', 'galleries', `model-${modelId}`);
    const banks = readdirSync(dir).filter((d) => d !== 'bank-only');
    assert.equal(banks.length, 1);
    assert.ok(lstatSync(bankFiles(join(dir, banks[0]!), 'train').features).isSymbolicLink());

    // Val features are the imported weights' embeddings of the val images.
    const embedded = await t.core.call('models.embed', { model: modelId, images: tree.valImages });
    const val = new Float32Array(new Uint8Array(readFileSync(bankFiles(join(dir, banks[0]!), 'val').features)).buffer);
    assert.equal(val.length, 6 * embedded.dim);
    for (let r = 0; r < 6; r++) {
      for (let d = 0; d < embedded.dim; d++) assert.ok(Math.abs(val[r * embedded.dim + d]! - embedded.embeddings[r]![d]!) < 1e-4, `val row ${r} feature ${d}`);
    }
    const valQuery = await t.core.call('gallery.search', { dataset, query: { split: 'val', index: 3 }, sources: [source, { kind: 'raw' }] });
    assert.equal(valQuery.rows[0]!.hits.length, 20);
    assert.equal(valQuery.query.className, 'bee');

    // An image file is embedded with the imported weights: the val image's own embedding ranks the bank alike.
    const base64 = readFileSync(tree.valImages[3]!).toString('base64');
    const fileQuery = await t.core.call('gallery.search', { dataset, query: { image: { name: 'v.png', base64 } }, sources: [source] });
    assert.equal(fileQuery.rows[0]!.status, 'ready', fileQuery.rows[0]!.error ?? '');
    assert.deepEqual(fileQuery.rows[0]!.hits.map((h) => h.index), valQuery.rows[0]!.hits.map((h) => h.index));
  } finally {
    await t.dispose();
    rmSync(data, { recursive: true, force: true });
  }
});
