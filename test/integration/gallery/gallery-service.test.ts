/**
 * The gallery end to end on the main side: a real 1-epoch MNIST run gives a checkpoint; its
 * bank and the raw-pixel baseline's are computed as jobs (progress, then completed), cached
 * under SNCA_HOME/cache/galleries, and searched exactly in the search worker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EventPayload } from '../../../shared/api.ts';
import { findPreset, RunConfigSchema } from '../../../shared/run-config.ts';
import { startTestCore } from '../../fixtures/test-core.ts';
import { waitFor } from '../../fixtures/wait-for.ts';

const DATASET = { kind: 'mnist' as const, trainSize: 300, valSize: 60 };

test('gallery banks are computed as jobs, cached, and searched exactly; the export inlines every tile', { timeout: 300_000 }, async () => {
  const t = await startTestCore('real-trainer', { backend: 'wasm' });
  const { core, events } = t;
  try {
    const config = RunConfigSchema.parse({ ...findPreset('mnist-demo')!.config, name: 'gallery run', epochs: 1, batchSize: 50, dataset: DATASET });
    const run = await core.call('runs.create', { config });
    const ended = await core.runs.whenEnded(run.id);
    assert.equal(ended.status, 'completed', ended.error ?? '');
    const sources = await core.call('gallery.sources', {});
    const ckpt = sources.find((s) => s.source.kind === 'checkpoint');
    assert.ok(ckpt, 'the run checkpoint is a source');
    assert.deepEqual(ckpt.dataset, DATASET);
    assert.ok(sources.some((s) => s.source.kind === 'raw'));

    const request = { dataset: DATASET, query: { split: 'train' as const, index: 7 }, sources: [ckpt.source, { kind: 'raw' as const }] };
    const first = await core.call('gallery.search', request);
    assert.deepEqual(first.rows.map((r) => r.status), ['computing', 'computing']);
    const jobIds = first.rows.map((r) => r.jobId);
    assert.ok(jobIds.every((id) => typeof id === 'string'));
    const bankEvents = () => events.filter((e): e is { event: 'gallery.bank'; payload: EventPayload<'gallery.bank'> } => e.event === 'gallery.bank');
    await waitFor(
      () => jobIds.every((id) => bankEvents().some((e) => e.payload.jobId === id && e.payload.status !== 'running')),
      () => `bank jobs ended; events: ${JSON.stringify(bankEvents().map((e) => e.payload).slice(-4))}`,
      240_000,
      200,
    );
    for (const id of jobIds) {
      const mine = bankEvents().filter((e) => e.payload.jobId === id).map((e) => e.payload);
      assert.equal(mine.at(-1)!.status, 'completed', JSON.stringify(mine.at(-1)));
      assert.ok(mine.some((p) => p.status === 'running' && p.done > 0 && p.total === 360), 'progress counts train + val images');
    }

    const result = await core.call('gallery.search', request);
    assert.equal(result.datasetId?.length, 16, 'the run uses this dataset, so its thumbnails are reachable');
    assert.equal(result.query.split, 'train');
    assert.ok(result.query.label !== null && result.query.label >= 0 && result.query.label < 10);
    assert.equal(result.query.className, String(result.query.label));
    for (const row of result.rows) {
      assert.equal(row.status, 'ready', row.error ?? '');
      assert.equal(row.hits.length, 20);
      // A train image finds itself first in its own bank (its features are its bank row).
      assert.equal(row.hits[0]!.index, 7);
      assert.ok(Math.abs(row.hits[0]!.similarity - 1) < 1e-4, `self-similarity ${row.hits[0]!.similarity}`);
      for (let i = 1; i < row.hits.length; i++) assert.ok(row.hits[i - 1]!.similarity >= row.hits[i]!.similarity, 'ranked by similarity');
      assert.equal(new Set(row.hits.map((h) => h.index)).size, 20);
      for (const h of row.hits) assert.equal(h.sameClass, h.label === result.query.label);
    }
    assert.notDeepEqual(result.rows[0]!.hits.map((h) => h.index), result.rows[1]!.hits.map((h) => h.index), 'two sources give two rankings');

    // A val query: its features are its row of the val file; a query past the split is refused.
    const val = await core.call('gallery.search', { ...request, query: { split: 'val', index: 3 } });
    assert.ok(val.rows.every((r) => r.status === 'ready' && r.hits.length === 20));
    await assert.rejects(core.call('gallery.search', { ...request, query: { split: 'val', index: 60 } }), /outside the 60 images of the val split/);

    // An image from outside (here the PNG of train image 7): embedded by each source's model, it finds image 7 first.
    const png = await core.thumbnails.thumbnail({ datasetId: result.datasetId!, split: 'train', index: 7, size: 28 });
    const outside = await core.call('gallery.search', { ...request, query: { image: { name: 'seven.png', base64: png.toString('base64') } } });
    assert.deepEqual(outside.query, { split: null, index: null, name: 'seven.png', label: null, className: null });
    for (const row of outside.rows) {
      assert.equal(row.status, 'ready', row.error ?? '');
      assert.equal(row.hits[0]!.index, 7, `${row.title}: ${JSON.stringify(row.hits.slice(0, 3))}`);
      assert.ok(row.hits[0]!.similarity > 0.99, `${row.title}: ${row.hits[0]!.similarity}`);
      assert.ok(row.hits.every((h) => !h.sameClass), 'no class is known for an outside image');
    }
    const broken = await core.call('gallery.search', { ...request, query: { image: { name: 'notes.txt', base64: Buffer.from('hello').toString('base64') } } });
    assert.ok(broken.rows.every((r) => r.status === 'failed' && /notes\.txt: not an image/.test(r.error ?? '')), JSON.stringify(broken.rows.map((r) => r.error)));

    // Cached: the banks are on disk, a new search starts no job.
    const cacheRoot = join(t.home, 'cache', 'galleries');
    assert.equal(readdirSync(cacheRoot).length, 2);
    const before = bankEvents().length;
    await core.call('gallery.search', request);
    assert.equal(bankEvents().length, before);

    const exported = await core.call('gallery.export', {
      dataset: DATASET,
      queries: [{ split: 'train', index: 7 }, { split: 'val', index: 3 }, { image: { name: 'seven.png', base64: png.toString('base64') } }],
      sources: request.sources,
    });
    assert.equal(exported.mediaType, 'text/html');
    const html = exported.content;
    assert.equal(html.match(/<section class="query-block"/g)?.length, 3);
    assert.equal(html.match(/<tr class="source-row"/g)?.length, 6);
    assert.equal(html.match(/<figure class="tile( same)?" data-index/g)?.length, 120);
    assert.match(html, /Query: image seven\.png \(class unknown\)/);
    // Query images and tiles are inlined; nothing refers outside the page.
    assert.equal(html.match(/src="data:image\/png;base64,/g)?.length, 123);
    assert.doesNotMatch(html, /src="(?!data:)/);
    assert.ok(existsSync(cacheRoot));
  } finally {
    await t.dispose();
  }
});

test('a bank job can be cancelled; nothing is cached and the next search starts it again', { timeout: 120_000 }, async () => {
  const t = await startTestCore('real-trainer', { backend: 'wasm' });
  const { core, events } = t;
  try {
    const request = { dataset: { kind: 'mnist' as const, trainSize: 9000, valSize: 990 }, query: { split: 'train' as const, index: 0 }, sources: [{ kind: 'raw' as const }] };
    const first = await core.call('gallery.search', request);
    const jobId = first.rows[0]!.jobId!;
    assert.deepEqual(await core.call('gallery.cancelBank', { jobId }), { cancelled: true });
    await waitFor(
      () => events.some((e) => e.event === 'gallery.bank' && e.payload.jobId === jobId && e.payload.status !== 'running'),
      () => 'the cancelled job ended',
      60_000,
      100,
    );
    const last = events.filter((e) => e.event === 'gallery.bank').at(-1)!.payload as EventPayload<'gallery.bank'>;
    assert.equal(last.status, 'cancelled');
    const again = await core.call('gallery.search', request);
    assert.equal(again.rows[0]!.status, 'computing');
    assert.notEqual(again.rows[0]!.jobId, jobId);
  } finally {
    await t.dispose();
  }
});
