import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { createPinia, setActivePinia } from 'pinia';
import { findPreset, RunConfigSchema } from '../../../shared/run-config.ts';
import { setApiClient } from '../../../src-renderer/api/client-holder.ts';
import { validateRunForm, valuesFromConfig } from '../../../src-renderer/forms/run-config-form.ts';
import { jobFraction, useDatasetsStore } from '../../../src-renderer/stores/datasets.ts';
import { FakeClient } from './fake-client.ts';

let client: FakeClient;
beforeEach(() => {
  client = new FakeClient();
  setApiClient(client);
  setActivePinia(createPinia());
});

test("a preset's placeholder folder shows as an empty field that says it is required", () => {
  const preset = RunConfigSchema.parse(findPreset('imagenet-resnet18')!.config);
  const values = valuesFromConfig(preset);
  assert.equal(values['dataset.root'], '');
  assert.equal(values['dataset.kind'], 'imagefolder');
  const v = validateRunForm(preset, values);
  assert.equal(v.config, null);
  assert.equal(v.fieldErrors['dataset.root'], 'Dataset folder is required');
  const filled = validateRunForm(preset, { ...values, 'dataset.root': '/data/imagenet' });
  assert.deepEqual(filled.config?.dataset, { kind: 'imagefolder', root: '/data/imagenet', corruptThreshold: 0.001 });
});

test('validate keeps the verdict per (kind, folder), with the library message when not ok', async () => {
  const store = useDatasetsStore();
  client.respond('datasets.validate', ({ spec }) => ({ ok: false, message: `${'root' in spec ? spec.root : ''}: folder does not exist`, path: null, summary: null }));
  const r = await store.validate('cifar10', ' /d/missing ');
  assert.equal(r?.message, '/d/missing: folder does not exist');
  assert.deepEqual(client.calls.at(-1)?.input, { spec: { kind: 'cifar10', root: '/d/missing' } });
  assert.equal(store.checkOf('cifar10', '/d/missing')?.ok, false);
  assert.equal(store.checkOf('cifar100', '/d/missing'), undefined);
  assert.equal(await store.validate('cifar10', '  '), null, 'an empty folder is not sent');
});

test('a download job follows dataset.progress events to done, and done forgets the old check of that folder', async () => {
  const store = useDatasetsStore();
  client.respond('datasets.validate', () => ({ ok: false, message: 'x', path: null, summary: null }));
  await store.validate('cifar10', '/d/c10');
  client.respond('datasets.download', () => ({ jobId: 'j1', root: '/d/c10' }));
  const job = await store.download('cifar10', '/d/c10');
  assert.deepEqual(job, { jobId: 'j1', root: '/d/c10' });
  assert.equal(store.jobs.j1?.phase, 'download');
  client.emit('dataset.progress', { jobId: 'j1', kind: 'cifar10', root: '/d/c10', bytes: 50, totalBytes: 200, bytesPerSec: 10, phase: 'download' });
  assert.equal(jobFraction(store.jobs.j1!), 0.25);
  client.emit('dataset.progress', { jobId: 'j1', kind: 'cifar10', root: '/d/c10', bytes: 200, totalBytes: 200, bytesPerSec: 0, phase: 'extract' });
  assert.equal(jobFraction(store.jobs.j1!), null);
  assert.ok(store.checkOf('cifar10', '/d/c10'));
  client.emit('dataset.progress', { jobId: 'j1', kind: 'cifar10', root: '/d/c10', bytes: 200, totalBytes: 200, bytesPerSec: 0, phase: 'done', message: 'ready' });
  assert.equal(jobFraction(store.jobs.j1!), 1);
  assert.equal(store.jobFor('cifar10', '/d/c10')?.message, 'ready');
  assert.equal(store.checkOf('cifar10', '/d/c10'), undefined, 'checked again after the download');
});

test('a refused start (e.g. a job already running there) is kept as startError', async () => {
  const store = useDatasetsStore();
  client.respond('datasets.import', () => {
    throw new Error('CIFAR-10 is already being downloaded or imported into /d');
  });
  assert.equal(await store.importArchive('cifar10', '/a.tar.gz', '/d'), null);
  assert.match(store.startError?.message ?? '', /already being downloaded/);
});
