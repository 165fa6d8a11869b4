/** Which val transform a gallery bank's splits go through, per feature source and dataset. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { valTransformsOf } from '../../../../src-main/engine/eval/gallery-bank.ts';
import { CIFAR_MEAN, CIFAR_STD, IMAGENET_MEAN } from '../../../../src-main/engine/data/recipes.ts';
import { applyTransforms, outputShape } from '../../../../src-main/engine/data/transforms.ts';
import { Rng } from '../../../../src-main/engine/data/rng.ts';

const folder = { kind: 'imagefolder' as const, root: '/data/x', corruptThreshold: 0.001 };
const model = (arch: 'cifar-resnet18' | 'resnet50') => ({ kind: 'model' as const, weightsPath: '/w', arch, config: { lowDim: 128, width: 64 } });

test('a CIFAR model on an image folder: Normalize only (CIFAR mean/std) on 32×32, for both splits', () => {
  const t = valTransformsOf(folder, model('cifar-resnet18'))!;
  for (const specs of [t.train, t.val!]) {
    assert.deepEqual(outputShape(specs), [32, 32, 3]);
    const norm = specs.find((s) => s.op === 'normalize');
    assert.deepEqual(norm, { op: 'normalize', mean: CIFAR_MEAN, std: CIFAR_STD });
    assert.equal(specs.some((s) => s.op === 'centerCrop'), false);
    // On a 32×32 image the pipeline is exactly (x - mean) / std per channel.
    const data = new Uint8Array(32 * 32 * 3).map((_, i) => (i * 37) % 256);
    const out = applyTransforms({ width: 32, height: 32, data }, specs, Rng.fromSeed(0));
    for (const i of [0, 1, 2, 500, 3071]) assert.ok(Math.abs(out.data[i]! - (data[i]! / 255 - CIFAR_MEAN[i % 3]!) / CIFAR_STD[i % 3]!) < 1e-6);
  }
});

test('an ImageNet model: Resize 256, CenterCrop 224, ImageNet Normalize; other sources keep the dataset\'s', () => {
  const t = valTransformsOf(folder, model('resnet50'))!;
  assert.deepEqual(t.train.map((s) => s.op), ['resize', 'centerCrop', 'normalize']);
  assert.deepEqual(outputShape(t.val!), [224, 224, 3]);
  assert.deepEqual((t.train[2] as { mean: readonly number[] }).mean, IMAGENET_MEAN);
  assert.deepEqual(outputShape(valTransformsOf(folder, { kind: 'raw' })!.train), [224, 224, 3]);
  assert.deepEqual(valTransformsOf({ kind: 'cifar10', root: '/c' }, { kind: 'raw' })!.train.map((s) => s.op), ['normalize']);
});
