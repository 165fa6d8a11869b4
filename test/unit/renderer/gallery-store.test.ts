import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { createPinia, setActivePinia } from 'pinia';
import { isSplitQuery, outsideQueryName, type GalleryQuery, type GalleryResult } from '../../../shared/gallery.ts';
import { setApiClient } from '../../../src-renderer/api/client-holder.ts';
import { useGalleryStore } from '../../../src-renderer/stores/gallery.ts';
import { formatHash, parseHash } from '../../../src-renderer/stores/navigation.ts';
import { ApiError } from '../../../shared/api-error.ts';
import { FakeClient } from './fake-client.ts';

const DATASET = { kind: 'mnist' as const, trainSize: 100, valSize: 20 };

let client: FakeClient;
beforeEach(() => {
  client = new FakeClient();
  setApiClient(client);
  setActivePinia(createPinia());
  client.respond('gallery.sources', () => [
    { source: { kind: 'checkpoint', checkpointId: 3 }, title: 'run a · epoch 1 (latest)', dataset: DATASET },
    { source: { kind: 'raw' }, title: 'raw pixels', dataset: null },
  ]);
});

function answer(q: GalleryQuery, computing = false): GalleryResult {
  const split = isSplitQuery(q) ? q.split : null;
  const index = isSplitQuery(q) ? q.index : 0;
  return {
    datasetId: '0123456789abcdef',
    query: { split, index: split ? index : null, name: isSplitQuery(q) ? null : outsideQueryName(q), label: split ? 1 : null, className: split ? '1' : null },
    rows: [
      computing
        ? { source: { kind: 'checkpoint', checkpointId: 3 }, title: 'c', status: 'computing', jobId: 'bank-1', error: null, hits: [] }
        : { source: { kind: 'checkpoint', checkpointId: 3 }, title: 'c', status: 'ready', jobId: null, error: null, hits: [{ index: index + 1, similarity: 0.9, label: 1, className: '1', sameClass: true }] },
      { source: { kind: 'raw' }, title: 'raw pixels', status: 'ready', jobId: null, error: null, hits: [] },
    ],
  };
}

test('defaults: the dataset of the runs, their newest checkpoint next to the raw baseline', async () => {
  const store = useGalleryStore();
  await store.loadSources();
  assert.deepEqual(store.dataset, DATASET);
  assert.deepEqual(store.selected, [{ kind: 'checkpoint', checkpointId: 3 }, { kind: 'raw' }]);
});

test('clicking a retrieval makes it the query; back walks the history; export sends every query shown once, in order', async () => {
  const store = useGalleryStore();
  await store.loadSources();
  client.respond('gallery.search', (input) => answer(input.query));
  await store.show({ split: 'val', index: 4 });
  await store.show({ split: 'train', index: 5 });
  await store.show({ split: 'train', index: 9 });
  assert.deepEqual(store.history, [{ split: 'val', index: 4 }, { split: 'train', index: 5 }]);
  assert.deepEqual(store.result?.query.index, 9);
  assert.equal(await store.back(), true);
  assert.deepEqual(store.query, { split: 'train', index: 5 });
  assert.equal(store.result?.query.index, 5);
  client.respond('gallery.export', (input) => {
    assert.deepEqual(input.queries, [{ split: 'val', index: 4 }, { split: 'train', index: 5 }, { split: 'train', index: 9 }]);
    assert.deepEqual(input.sources, store.selected);
    return { filename: 'g.html', mediaType: 'text/html', content: '<html>' };
  });
  assert.deepEqual(await store.exportHtml(), { filename: 'g.html', content: '<html>' });
  assert.equal(await store.back(), true);
  assert.equal(await store.back(), false, 'no query before the first');
  // A dropped image is a query like the others: on the history and in the export.
  await store.show({ image: { name: 'cat.png', base64: 'iVBORw0KGgo=' } });
  assert.equal(store.result?.query.name, 'cat.png');
  assert.deepEqual(store.history, [{ split: 'val', index: 4 }]);
  assert.equal(store.visited.length, 4);
});

test('a picked or dropped file is placed on the core (uploaded in a browser) and searched by its path there', async () => {
  const store = useGalleryStore();
  await store.loadSources();
  client.respond('gallery.search', (input) => answer(input.query));
  assert.equal(await store.showFile({ name: 'dog.png', size: 123 }), '/uploads/dog.png');
  assert.deepEqual(client.placed, [{ name: 'dog.png', kind: 'image' }]);
  assert.deepEqual(store.query, { file: { path: '/uploads/dog.png', name: 'dog.png' } });
  assert.equal(store.result?.query.name, 'dog.png');
  client.placeFile = () => Promise.reject(new ApiError('invalid_input', 'big.png is 20.0 MiB; this server accepts images of up to 16.0 MiB.'));
  assert.equal(await store.showFile({ name: 'big.png', size: 20 << 20 }), null);
  assert.match(store.error?.message ?? '', /accepts images of up to 16\.0 MiB/);
  assert.deepEqual(store.query, { file: { path: '/uploads/dog.png', name: 'dog.png' } }, 'the query stays');
});

test('a row still computing is searched again when its bank job completes, not on progress', async () => {
  const store = useGalleryStore();
  await store.loadSources();
  let n = 0;
  client.respond('gallery.search', (input) => answer(input.query, ++n === 1));
  await store.show({ split: 'val', index: 2 });
  assert.equal(store.result?.rows[0]!.status, 'computing');
  client.emit('gallery.bank', { jobId: 'bank-1', source: { kind: 'checkpoint', checkpointId: 3 }, status: 'running', done: 50, total: 120, error: null });
  assert.equal(store.jobs['bank-1']?.done, 50);
  assert.equal(n, 1);
  client.emit('gallery.bank', { jobId: 'bank-1', source: { kind: 'checkpoint', checkpointId: 3 }, status: 'completed', done: 120, total: 120, error: null });
  await new Promise((r) => setImmediate(r));
  assert.equal(n, 2);
  assert.equal(store.result?.rows[0]!.status, 'ready');
});

test('the gallery has its own route', () => {
  assert.deepEqual(parseHash('#/gallery'), { view: 'gallery' });
  assert.equal(formatHash({ view: 'gallery' }), '#/gallery');
});
