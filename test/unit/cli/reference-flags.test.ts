/** `snca train` accepts the reference CLI's flags with the same meaning, and DATAPATH's kind is inferred. */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../../src-main/cli/program.ts';
import { inferDataPath } from '../../../src-main/cli/datapath.ts';
import { archFor, buildTrainConfig } from '../../../src-main/cli/train-config.ts';
import { DatasetsService } from '../../../src-main/core/datasets-service.ts';
import { EventBus } from '../../../src-main/core/event-bus.ts';
import { PresetsService } from '../../../src-main/core/presets-service.ts';
import { recordingContext } from '../../fixtures/cli-context.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';
import { startTestCore } from '../../fixtures/test-core.ts';
import { fakeWorker } from '../../fixtures/workers/fake-workers.ts';
import { fakeCifar, writeCifar } from '../engine/data/cifar-fixtures.ts';
import { writeImage } from '../engine/data/image-folder-fixtures.ts';

test('DATAPATH: CIFAR folders (either format, the folder or its parent) and ImageFolder roots are recognised', async () => {
  const tmp = makeTempDir();
  try {
    const c10 = join(tmp.dir, 'c10');
    const c10bin = writeCifar(c10, 'cifar10', 'binary', fakeCifar('cifar10', 1, 2));
    const c100 = join(tmp.dir, 'c100');
    const c100py = writeCifar(c100, 'cifar100', 'python', fakeCifar('cifar100', 3, 2));
    const inet = join(tmp.dir, 'inet');
    await writeImage(join(inet, 'train', 'a', 'x.png'), 'png', [1, 2, 3]);
    await writeImage(join(inet, 'val', 'a', 'y.png'), 'png', [1, 2, 3]);
    assert.deepEqual(await inferDataPath(c10), { kind: 'cifar10', root: c10 });
    assert.deepEqual(await inferDataPath(c10bin), { kind: 'cifar10', root: c10bin });
    assert.deepEqual(await inferDataPath(c100), { kind: 'cifar100', root: c100 });
    assert.deepEqual(await inferDataPath(c100py), { kind: 'cifar100', root: c100py });
    assert.deepEqual(await inferDataPath(inet), { kind: 'imagefolder', root: inet });
    // --dataset forces the kind.
    assert.deepEqual(await inferDataPath(inet, 'cifar10'), { kind: 'cifar10', root: inet });
    const empty = join(tmp.dir, 'empty');
    mkdirSync(empty);
    await assert.rejects(inferDataPath(empty), (e: Error) => e.message.startsWith(`DATAPATH: ${empty}: neither a CIFAR folder`) && /--dataset/.test(e.message));
    await assert.rejects(inferDataPath(join(tmp.dir, 'nope')), /DATAPATH: .*nope: folder does not exist/);
    writeFileSync(join(tmp.dir, 'file'), 'x');
    await assert.rejects(inferDataPath(join(tmp.dir, 'file')), /is a file, not a folder/);
    const both = join(tmp.dir, 'both');
    writeCifar(both, 'cifar10', 'binary', fakeCifar('cifar10', 1, 1));
    writeCifar(both, 'cifar100', 'binary', fakeCifar('cifar100', 1, 1));
    await assert.rejects(inferDataPath(both), /more than one dataset \(cifar10, cifar100\); choose one with --dataset/);
  } finally {
    tmp.cleanup();
  }
});

test('--arch resnetXX means the ImageNet net, and its CIFAR version on CIFAR data', () => {
  assert.equal(archFor('resnet18', 'cifar10'), 'cifar-resnet18');
  assert.equal(archFor('resnet50', 'cifar100'), 'cifar-resnet50');
  assert.equal(archFor('resnet34', 'imagefolder'), 'resnet34');
  assert.equal(archFor('small-convnet', 'cifar10'), 'small-convnet');
  assert.match((archFor('vgg16', 'cifar10') as { error: string }).error, /^--arch: unknown network "vgg16"/);
});

test('DATAPATH picks the preset: CIFAR → cifar10-paper (kind kept), ImageFolder → imagenet-resnetXX by --arch', () => {
  // The presets as presets.list gives them for the data folder /home/x.
  const presets = new PresetsService(new DatasetsService({ home: '/home/x', bus: new EventBus(), diagnostics: () => {} })).list();
  const cifar = buildTrainConfig({ dataset: { kind: 'cifar100', root: '/d/c100' } }, presets);
  assert.ok(cifar.ok);
  assert.equal(cifar.config.preset, 'cifar10-paper');
  assert.deepEqual(cifar.config.dataset, { kind: 'cifar100', root: '/d/c100' });
  const inet = buildTrainConfig({ dataset: { kind: 'imagefolder', root: '/d/in' }, arch: 'resnet50' }, presets);
  assert.ok(inet.ok);
  assert.equal(inet.config.preset, 'imagenet-resnet50');
  assert.equal(inet.config.arch, 'resnet50');
  const noData = buildTrainConfig({ preset: 'imagenet-resnet18' }, presets);
  assert.ok(!noData.ok && /^DATAPATH: the preset imagenet-resnet18 needs your dataset folder/.test(noData.message));
  const cifarDefault = buildTrainConfig({ preset: 'cifar10-paper' }, presets);
  assert.ok(cifarDefault.ok);
  assert.deepEqual(cifarDefault.config.dataset, { kind: 'cifar10', root: '/home/x/datasets/cifar10' });
  const none = buildTrainConfig({}, presets);
  assert.ok(none.ok);
  assert.equal(none.config.preset, 'mnist-demo');
});

test('every reference flag lands in its config field (through the real command line)', { timeout: 60_000 }, async () => {
  const tmp = makeTempDir();
  try {
    const data = join(tmp.dir, 'data');
    writeCifar(data, 'cifar10', 'binary', fakeCifar('cifar10', 2, 4));
    const ctx = recordingContext({ home: tmp.dir, workerEntry: fakeWorker('completing') });
    const argv = ['train', data, '--arch', 'resnet18', '-j', '3', '-b', '64', '--lr', '0.03', '--momentum', '0.8', '--wd', '0.0001', '--epochs', '7',
      '--low-dim', '64', '--temperature', '0.07', '--memory-momentum', '0.6', '--iter-size', '2', '--margin', '0.1', '--name', 'ref flags'];
    assert.equal(await runCli(argv, ctx), 0, ctx.err());
    const t = await startTestCore('completing', { home: tmp.dir, adoptQueued: false });
    const { core } = t;
    try {
      const [run] = core.runs.list().runs;
      const c = core.runs.get(run!.id).config;
      assert.deepEqual(c.dataset, { kind: 'cifar10', root: data });
      assert.equal(c.preset, 'cifar10-paper');
      assert.equal(c.arch, 'cifar-resnet18');
      assert.equal(c.workers, 3);
      assert.equal(c.batchSize, 64);
      assert.equal(c.lr, 0.03);
      assert.equal(c.momentum, 0.8);
      assert.equal(c.weightDecay, 0.0001);
      assert.equal(c.epochs, 7);
      assert.equal(c.lowDim, 64);
      assert.equal(c.temperature, 0.07);
      assert.equal(c.memoryMomentum, 0.6);
      assert.deepEqual(c.memoryMomentumSchedule, []);
      assert.equal(c.iterSize, 2);
      assert.equal(c.margin, 0.1);
    } finally {
      await t.dispose();
    }
  } finally {
    tmp.cleanup();
  }
});

const badValues: [string[], RegExp][] = [
  [['-j', 'many'], /option '-j, --workers <n>' argument 'many' is invalid/],
  [['-b', '0'], /option '-b, --batch-size <n>' argument '0' is invalid/],
  [['--momentum', '1.5'], /option '--momentum <x>' argument '1.5' is invalid\. Expected a number between 0 and 0\.999/],
  [['--wd', 'x'], /option '--wd <x>' argument 'x' is invalid/],
  [['--low-dim', '1'], /option '--low-dim <n>' argument '1' is invalid/],
  [['--temperature', '0'], /option '--temperature <x>' argument '0' is invalid/],
  [['--memory-momentum', '2'], /option '--memory-momentum <x>' argument '2' is invalid/],
  [['--iter-size', '0'], /option '--iter-size <n>' argument '0' is invalid/],
  [['--margin', '-1'], /option '--margin <x>' argument '-1' is invalid/],
  [['--start-epoch', 'x'], /option '--start-epoch <n>' argument 'x' is invalid/],
  [['--dataset', 'svhn'], /option '--dataset <kind>' argument 'svhn' is invalid\. Expected one of: cifar10, cifar100, imagefolder/],
  [['--arch', 'vgg16'], /--arch: unknown network "vgg16"/],
];

for (const [flags, expected] of badValues) {
  test(`snca train DATAPATH ${flags.join(' ')} → exit 1 naming the flag, nothing stored`, { timeout: 60_000 }, async () => {
    const tmp = makeTempDir();
    try {
      const data = join(tmp.dir, 'data');
      writeCifar(data, 'cifar10', 'binary', fakeCifar('cifar10', 1, 1));
      const ctx = recordingContext({ home: tmp.dir, workerEntry: fakeWorker('completing') });
      assert.equal(await runCli(['train', data, ...flags], ctx), 1);
      assert.match(ctx.err(), expected);
      assert.equal(ctx.out(), '');
    } finally {
      tmp.cleanup();
    }
  });
}

test('a missing or wrongly laid-out DATAPATH is refused before a run is stored', { timeout: 60_000 }, async () => {
  const tmp = makeTempDir();
  try {
    const ctx = recordingContext({ home: tmp.dir, workerEntry: fakeWorker('completing') });
    assert.equal(await runCli(['train', join(tmp.dir, 'missing')], ctx), 1);
    assert.match(ctx.err(), /DATAPATH: .*missing: folder does not exist/);
    // Forced to CIFAR, a folder without batches: the one answer for a path that is not the dataset, naming DATAPATH and the path.
    const wrong = join(tmp.dir, 'wrong');
    mkdirSync(wrong);
    const forced = recordingContext({ home: tmp.dir, workerEntry: fakeWorker('completing') });
    assert.equal(await runCli(['train', wrong, '--dataset', 'cifar10'], forced), 1);
    assert.match(forced.err(), new RegExp(`DATAPATH: ${wrong}: no CIFAR-10 dataset here`));
    const list = recordingContext({ home: tmp.dir });
    await runCli(['runs', '--json'], list);
    assert.deepEqual(JSON.parse(list.out()), [], 'no run stored');
  } finally {
    tmp.cleanup();
  }
});

// --resume, --start-epoch and -e are handled by the resume / evaluate features (their own tests:
// resume-command, train-evaluate-start-epoch); here: none of the three is ever ignored.
const resumeFlags: [string[], RegExp][] = [
  [['--resume', 'ckpt.safetensors'], /^error: --resume: /],
  [['--start-epoch', '7'], /^error: --start-epoch 7: must be below --epochs \(5\)/],
  [['-e'], /^error: -e\/--evaluate needs --resume/],
];
for (const [flag, expected] of resumeFlags) {
  test(`snca train ${flag.join(' ')} is never silently ignored`, { timeout: 60_000 }, async () => {
    const tmp = makeTempDir();
    try {
      const ctx = recordingContext({ home: tmp.dir, workerEntry: fakeWorker('completing') });
      assert.equal(await runCli(['train', ...flag], ctx), 1);
      assert.match(ctx.err(), expected);
      assert.equal(ctx.out(), '');
    } finally {
      tmp.cleanup();
    }
  });
}
