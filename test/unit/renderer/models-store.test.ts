import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { createPinia, setActivePinia } from 'pinia';
import type { Model } from '../../../shared/models.ts';
import { setApiClient } from '../../../src-renderer/api/client-holder.ts';
import { importFraction, useModelsStore } from '../../../src-renderer/stores/models.ts';
import { FakeClient } from './fake-client.ts';

let client: FakeClient;
beforeEach(() => {
  client = new FakeClient();
  setApiClient(client);
  setActivePinia(createPinia());
});

function model(id: string, name: string, importedAt: string): Model {
  return {
    id, name, fileName: `${name}.pth.tar`, fileBytes: 100, sha256: id.padEnd(64, '0'), arch: 'resnet50', config: { lowDim: 128, width: 64 },
    layout: 'imagenet', format: 'legacy', epoch: 200, temperature: 0.05, momentum: 0.5, accuracy: 76.57, bankRows: 10, bankDim: 128,
    importedAt, trainFolder: null, classNames: null, storedBytes: 5200,
  };
}

test('the list follows model.changed / model.removed, newest first', async () => {
  const store = useModelsStore();
  client.respond('models.list', () => [model('b', 'B', '2026-12-02T00:00:00Z')]);
  await store.load();
  client.emit('model.changed', model('a', 'A', '2026-12-03T00:00:00Z'));
  client.emit('model.changed', { ...model('b', 'B2', '2026-12-02T00:00:00Z'), trainFolder: '/data/train' });
  assert.deepEqual(store.models.map((m) => m.name), ['A', 'B2']);
  assert.equal(store.models[1]!.trainFolder, '/data/train');
  client.emit('model.removed', { id: 'a' });
  assert.deepEqual(store.models.map((m) => m.id), ['b']);
});

test('an import shows at once, follows its progress and can be cancelled', async () => {
  const store = useModelsStore();
  client.respond('models.import', ({ name }) => ({ jobId: 'j1', name: name ?? 'resnet50' }));
  client.respond('models.cancelImport', () => ({ cancelled: true }));
  assert.equal(await store.importFile(' /m/resnet50.pth.tar ', ' '), 'j1');
  assert.deepEqual(client.calls.at(-1)?.input, { path: '/m/resnet50.pth.tar' }, 'trimmed, an empty name left out');
  assert.equal(store.activeImports.length, 1);
  assert.equal(store.imports.j1!.fileName, 'resnet50.pth.tar');
  const p = { jobId: 'j1', name: 'resnet50', fileName: 'resnet50.pth.tar', bytes: 50, totalBytes: 100, bytesPerSec: 1e8 };
  client.emit('model.importProgress', { ...p, phase: 'hash' });
  assert.equal(importFraction(store.imports.j1!), 0.25);
  client.emit('model.importProgress', { ...p, phase: 'copy' });
  assert.equal(importFraction(store.imports.j1!), 0.75);
  await store.cancelImport('j1');
  assert.deepEqual(client.calls.at(-1), { method: 'models.cancelImport', input: { jobId: 'j1' } });
  client.emit('model.importProgress', { ...p, phase: 'cancelled', message: 'nothing was kept' });
  assert.equal(store.activeImports.length, 0);
  store.dismissImport('j1');
  assert.deepEqual(store.imports, {});
});

test('a dropped or chosen file is placed on the core (sent, with progress, in a browser) and imported from there; another file is refused', async () => {
  const store = useModelsStore();
  client.respond('models.import', () => ({ jobId: 'j2', name: 'r18' }));
  assert.equal(await store.importDropped({ name: 'notes.txt', size: 10 }), null);
  assert.match(store.dropMessage!, /notes\.txt is not a PyTorch checkpoint/);
  assert.equal(client.calls.length, 0);
  assert.deepEqual(client.placed, []);
  const seen: number[] = [];
  const original = client.placeFile.bind(client);
  client.placeFile = async (file, kind, onProgress) => {
    onProgress?.(40, 100);
    seen.push(store.uploads[Object.keys(store.uploads)[0]!]!.sentBytes);
    return original(file, kind, onProgress);
  };
  assert.equal(await store.importDropped({ name: 'r18.t7', size: 100 }), 'j2');
  assert.deepEqual(seen, [40], 'the upload shows its progress while it is sent');
  assert.deepEqual(store.uploads, {}, 'and disappears once sent');
  assert.deepEqual(client.placed, [{ name: 'r18.t7', kind: 'model' }]);
  assert.equal(store.dropMessage, null);
  assert.deepEqual(client.calls.at(-1)?.input, { path: '/uploads/r18.t7' });
  assert.equal(store.imports.j2!.fileName, 'r18.t7');
});
