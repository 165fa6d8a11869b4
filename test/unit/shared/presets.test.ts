import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PresetSchema } from '../../../shared/api.ts';
import { DATASET_ROOT_PLACEHOLDER, PRESETS, RunConfigSchema, findPreset } from '../../../shared/run-config.ts';

test('every preset parses with RunConfigSchema and the contract PresetSchema', () => {
  for (const p of PRESETS) {
    const config = RunConfigSchema.parse(p.config);
    assert.equal(config.preset, p.id);
    PresetSchema.parse({ ...p, config });
  }
  assert.equal(new Set(PRESETS.map((p) => p.id)).size, PRESETS.length, 'ids are unique');
});

test('CIFAR-10 (paper) has the numbers of the reference cifar.py', () => {
  const p = findPreset('cifar10-paper');
  assert.ok(p);
  assert.equal(p.title, 'CIFAR-10 (paper)');
  assert.equal(p.offline, false);
  const c = RunConfigSchema.parse(p.config);
  assert.deepEqual(c.dataset, { kind: 'cifar10', root: DATASET_ROOT_PLACEHOLDER });
  assert.equal(c.arch, 'cifar-resnet18');
  assert.equal(c.epochs, 200);
  assert.equal(c.batchSize, 128);
  assert.equal(c.iterSize, 1);
  assert.equal(c.lr, 0.1);
  assert.deepEqual(c.lrSchedule, { stepEpochs: 50, gamma: 0.1 });
  assert.equal(c.weightDecay, 5e-4);
  assert.equal(c.temperature, 0.05);
  assert.equal(c.memoryMomentum, 0.5);
  assert.deepEqual(c.memoryMomentumSchedule, []);
  assert.equal(c.eval.k, 30);
  assert.equal(c.eval.everyEpochs, 1);
  assert.equal(c.eval.monitor, 'knn_top1');
});

test('ImageNet ResNet-18/34/50 (paper) have the numbers of the reference main.py', () => {
  for (const depth of ['18', '34', '50']) {
    const p = findPreset(`imagenet-resnet${depth}`);
    assert.ok(p, depth);
    assert.equal(p.title, `ImageNet ResNet-${depth} (paper)`);
    assert.equal(p.offline, false);
    const c = RunConfigSchema.parse(p.config);
    assert.equal(c.dataset.kind, 'imagefolder');
    assert.equal(c.dataset.kind === 'imagefolder' && c.dataset.root, DATASET_ROOT_PLACEHOLDER);
    assert.equal(c.arch, `resnet${depth}`);
    assert.equal(c.epochs, 130);
    assert.equal(c.batchSize, 256);
    assert.equal(c.iterSize, 1);
    assert.equal(c.lr, 0.1);
    assert.deepEqual(c.lrSchedule, { stepEpochs: 40, gamma: 0.1 });
    assert.equal(c.weightDecay, 1e-4);
    assert.equal(c.temperature, 0.05);
    assert.equal(c.lowDim, 128);
    assert.equal(c.memoryMomentum, 0.5);
    assert.deepEqual(c.memoryMomentumSchedule, [
      { epoch: 80, value: 0.8 },
      { epoch: 120, value: 0.9 },
    ]);
    assert.equal(c.eval.k, 30, 'kNN K=30 still computed; NN (K=1) is what is monitored');
    assert.equal(c.eval.everyEpochs, 1);
    assert.equal(c.eval.monitor, 'nn_top1');
  }
});

test('the deeper nets are offered with batch 128 × iter-size 2 (same effective batch)', () => {
  for (const depth of ['34', '50']) {
    const p = findPreset(`imagenet-resnet${depth}-iter2`);
    assert.ok(p, depth);
    const c = RunConfigSchema.parse(p.config);
    const plain = RunConfigSchema.parse(findPreset(`imagenet-resnet${depth}`)!.config);
    assert.equal(c.batchSize, 128);
    assert.equal(c.iterSize, 2);
    assert.deepEqual({ ...c, batchSize: 256, iterSize: 1, name: plain.name, preset: plain.preset }, plain);
  }
  assert.equal(findPreset('imagenet-resnet18-iter2'), undefined);
});
