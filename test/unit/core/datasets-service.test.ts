/** The dataset check in front of runs.create, datasets.validate and the CIFAR preset's default folder. */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { dispatchCall } from '../../../src-main/core/call-dispatch.ts';
import { DATASET_ROOT_PLACEHOLDER, findPreset, RunConfigSchema, type RunConfig } from '../../../shared/run-config.ts';
import { startTestCore, type TestCore } from '../../fixtures/test-core.ts';
import { fakeCifar, writeCifar } from '../engine/data/cifar-fixtures.ts';
import { writeImage } from '../engine/data/image-folder-fixtures.ts';
import { cifarPythonBatch } from '../acquire/py2-pickle.ts';

let t: TestCore;
before(async () => {
  t = await startTestCore('completing');
});
after(async () => {
  await t.dispose();
});

function cifarConfig(root: string): RunConfig {
  return RunConfigSchema.parse({ ...findPreset('cifar10-paper')!.config, dataset: { kind: 'cifar10', root }, epochs: 1 });
}

async function refusedWithoutWriting(config: unknown): Promise<string> {
  const before = t.core.runs.list().runs.length;
  const events = t.events.length;
  const r = await dispatchCall(t.core.handlers, 'runs.create', { config });
  assert.equal(r.ok, false);
  if (r.ok) return '';
  assert.equal(r.error.code, 'invalid_input');
  const issue = r.error.issues?.find((i) => i.path === 'config.dataset.root');
  assert.ok(issue, JSON.stringify(r.error));
  assert.equal(t.core.runs.list().runs.length, before, 'no run stored');
  assert.equal(t.events.length, events, 'no event published');
  return issue.message;
}

test('runs.create refuses a missing CIFAR folder, naming config.dataset.root and the path', async () => {
  const missing = join(t.home, 'no-such-folder');
  const msg = await refusedWithoutWriting(cifarConfig(missing));
  assert.ok(msg.includes(missing), msg);
  assert.match(msg, /no CIFAR-10 dataset here \(the path is missing, not a folder, or laid out otherwise\)/);
});

test('runs.create refuses a folder without CIFAR files and a truncated binary batch', async () => {
  const empty = join(t.home, 'empty');
  mkdirSync(empty);
  assert.match(await refusedWithoutWriting(cifarConfig(empty)), /no CIFAR-10 dataset here/);
  const broken = join(t.home, 'broken');
  const dir = writeCifar(broken, 'cifar10', 'binary', fakeCifar('cifar10', 2, 2));
  const { truncateSync } = await import('node:fs');
  truncateSync(join(dir, 'data_batch_3.bin'), 100);
  const msg = await refusedWithoutWriting(cifarConfig(broken));
  assert.ok(msg.includes(join(dir, 'data_batch_3.bin')), msg);
  assert.match(msg, /truncated/);
});

test('runs.create parses every CIFAR python batch first: a truncated or inconsistent batch is refused, naming file and offset', async () => {
  const { readFileSync, truncateSync } = await import('node:fs');
  const root = join(t.home, 'py');
  const dir = writeCifar(root, 'cifar10', 'python', fakeCifar('cifar10', 2, 3));
  const ok = await dispatchCall(t.core.handlers, 'datasets.validate', { spec: { kind: 'cifar10', root } });
  assert.ok(ok.ok, JSON.stringify(ok));
  assert.deepEqual((ok.result as { summary: unknown }).summary, { kind: 'cifar10', dir, format: 'python', classes: 10, trainCount: 10, valCount: 3 });

  const batch3 = join(dir, 'data_batch_3');
  const good = readFileSync(batch3);
  truncateSync(batch3, Math.floor(good.length / 2));
  const truncated = await refusedWithoutWriting(cifarConfig(root));
  assert.ok(truncated.startsWith(`${batch3}: not a readable CIFAR python batch: truncated`), truncated);
  assert.match(truncated, /\(pickle byte \d+\)$/);

  // A batch whose array declares 3 images but holds the bytes of 2.
  writeFileSync(batch3, good);
  const test = join(dir, 'test_batch');
  writeFileSync(test, cifarPythonBatch(new Uint8Array(2 * 3072), [1, 2, 3], 'cifar10'));
  assert.match(await refusedWithoutWriting(cifarConfig(root)), new RegExp(`^${test}: not a readable CIFAR python batch: ndarray data has 6144 bytes; shape \\[3,3072\\] of \\|u1 needs 9216 \\(pickle byte \\d+\\)$`));
});

test('runs.create refuses an ImageFolder with a wrong layout or an empty class folder', async () => {
  const root = join(t.home, 'imagenet');
  await writeImage(join(root, 'train', 'cat', 'a.png'), 'png', [1, 2, 3]);
  const preset = findPreset('imagenet-resnet18')!.config;
  const config = (r: string) => RunConfigSchema.parse({ ...preset, dataset: { kind: 'imagefolder', root: r }, epochs: 1 });
  assert.match(await refusedWithoutWriting(config(root)), /no val\/ folder/);
  await writeImage(join(root, 'val', 'cat', 'b.png'), 'png', [1, 2, 3]);
  mkdirSync(join(root, 'train', 'dog'));
  mkdirSync(join(root, 'val', 'dog'));
  const msg = await refusedWithoutWriting(config(root));
  assert.ok(msg.includes(join(root, 'train', 'dog')), msg);
  assert.match(msg, /no image files/);
});

test("runs.create refuses the preset's placeholder folder with a message saying what to do", async () => {
  const msg = await refusedWithoutWriting(RunConfigSchema.parse({ ...findPreset('imagenet-resnet50')!.config }));
  assert.match(msg, /choose the dataset folder/);
  assert.ok(!msg.includes(DATASET_ROOT_PLACEHOLDER));
});

test('runs.create accepts a valid CIFAR folder; datasets.validate summarises it', async () => {
  const root = join(t.home, 'good');
  const dir = writeCifar(root, 'cifar10', 'binary', fakeCifar('cifar10', 4, 6));
  const v = await dispatchCall(t.core.handlers, 'datasets.validate', { spec: { kind: 'cifar10', root } });
  assert.ok(v.ok);
  assert.deepEqual(v.result, { ok: true, message: null, path: null, summary: { kind: 'cifar10', dir, format: 'binary', classes: 10, trainCount: 20, valCount: 6 } });
  const before = t.core.runs.list().runs.length;
  const r = await dispatchCall(t.core.handlers, 'runs.create', { config: cifarConfig(root) });
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(t.core.runs.list().runs.length, before + 1);
  await t.core.runs.whenEnded((r.result as { id: string }).id);
});

test('datasets.validate answers ok:false with the path and the message for a bad folder', async () => {
  const missing = join(t.home, 'nothing-here');
  const v = await dispatchCall(t.core.handlers, 'datasets.validate', { spec: { kind: 'imagefolder', root: missing } });
  assert.ok(v.ok);
  assert.deepEqual(v.result, {
    ok: false,
    message: `${missing}: no ImageNet-style dataset here (the path is missing, not a folder, or laid out otherwise): expected a folder holding train/<class>/<images> and val/<class>/<images>`,
    path: missing,
    summary: null,
  });
  const bad = await dispatchCall(t.core.handlers, 'datasets.validate', { spec: { kind: 'cifar10', root: '' } });
  assert.ok(!bad.ok && bad.error.issues?.some((i) => i.path === 'spec.root'), JSON.stringify(bad));
});

test('datasets.validate does not tell which paths exist: missing, a file and an unrelated folder get one answer', async () => {
  const file = join(t.home, 'secret.txt');
  writeFileSync(file, 'not data');
  const folder = join(t.home, 'some-folder');
  mkdirSync(join(folder, 'inner'), { recursive: true });
  for (const kind of ['cifar10', 'cifar100', 'imagefolder'] as const) {
    const answers = new Set<string>();
    for (const root of [join(t.home, 'absent'), file, folder, join(file, 'below-a-file')]) {
      const v = await dispatchCall(t.core.handlers, 'datasets.validate', { spec: { kind, root } });
      assert.ok(v.ok);
      const r = v.result as { ok: boolean; message: string; path: string };
      assert.equal(r.ok, false);
      assert.equal(r.path, root);
      answers.add(r.message.slice(root.length));
    }
    assert.equal(answers.size, 1, `${kind}: ${[...answers].join(' | ')}`);
  }
});

test('presets.list points the CIFAR preset at the default download folder; ImageNet keeps the placeholder', async () => {
  const r = await dispatchCall(t.core.handlers, 'presets.list', {});
  assert.ok(r.ok);
  const list = r.result as { id: string; config: { dataset: { root?: string } } }[];
  assert.equal(list.find((p) => p.id === 'cifar10-paper')?.config.dataset.root, join(t.home, 'datasets', 'cifar10'));
  assert.equal(list.find((p) => p.id === 'imagenet-resnet18')?.config.dataset.root, DATASET_ROOT_PLACEHOLDER);
});
