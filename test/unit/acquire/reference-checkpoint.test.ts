/**
 * Conversion of reference checkpoints to the engine's weights: both layouts and both
 * serialisations of the fixtures, the facts they record, the memory bank as a file reference,
 * architecture inference from shapes, and the refusal that names the first key that does not fit.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReferenceCheckpointError, inferArchitecture, readReferenceCheckpoint, stripModulePrefix } from '../../../src-main/acquire/reference-checkpoint.ts';
import { readTensorFloat32 } from '../../../src-main/acquire/torch-tensor.ts';
import { RESNET_ARCHS, resnetStateDictLayout } from '../../../src-main/engine/models/resnet-layout.ts';
import { expectedTorchFixtures, fixturePath } from './torch-fixtures.ts';

const expected = expectedTorchFixtures();

for (const [file, exp] of Object.entries(expected.checkpoints)) {
  test(`${file} converts to ${exp.arch} width ${exp.width} with its bank, T, momentum, epoch and accuracy`, () => {
    const ck = readReferenceCheckpoint(fixturePath(file));
    assert.equal(ck.format, exp.format);
    assert.equal(ck.layout, exp.layout);
    assert.equal(ck.arch, exp.arch);
    assert.deepEqual(ck.modelConfig, {
      arch: exp.arch, width: exp.width, lowDim: 128, inputShape: exp.layout === 'cifar' ? [32, 32, 3] : [224, 224, 3],
    });
    assert.equal(ck.statedArch, file.includes('resnet18-w4.legacy') ? 'resnet18' : undefined);
    // The legacy ImageNet fixture was saved without num_batches_tracked, as torch 0.4.0 did.
    assert.equal(ck.batchCountersReset, file === 'imagenet-resnet18-w4.legacy.pth.tar');
    const layout = resnetStateDictLayout(ck.arch, { width: exp.width, lowDim: 128, inChannels: 3 });
    assert.deepEqual([...ck.weights.keys()], layout.map((e) => e.name));
    for (const e of layout) assert.deepEqual([...ck.weights.get(e.name)!.shape], [...e.shape], e.name);
    const counter = ck.weights.get('bn1.num_batches_tracked')!;
    assert.equal(counter.dtype, 'int64');
    assert.equal((counter.data as BigInt64Array)[0], ck.batchCountersReset ? 0n : 1234n);
    assert.equal(ck.epoch, exp.epoch);
    assert.ok(Math.abs(ck.bestPrec1! - exp.bestPrec1) < 1e-9);
    assert.ok(Math.abs(ck.temperature! - exp.temperature) < 1e-7);
    assert.ok(Math.abs(ck.momentum! - exp.momentum) < 1e-7);
    const bank = ck.bank!;
    assert.equal(bank.rows, exp.bankRows);
    assert.equal(bank.dim, 128);
    assert.equal(bank.tensor.storage.byteLength, exp.bankRows * 128 * 4);
    assert.ok(bank.tensor.storage.byteOffset + bank.tensor.storage.byteLength <= ck.bytes);
    const row0 = readTensorFloat32(bank.tensor).subarray(0, 8);
    row0.forEach((v, i) => assert.ok(Math.abs(v - exp.bankHead[i]!) < 1e-6));
  });
}

const shapesOf = (arch: (typeof RESNET_ARCHS)[number], width: number, lowDim = 128): Map<string, number[]> =>
  new Map(resnetStateDictLayout(arch, { width, lowDim, inChannels: 3 }).map((e) => [e.name, [...e.shape]]));

test('every architecture is inferred from its shapes alone, at any width and embedding size', () => {
  for (const arch of RESNET_ARCHS) {
    for (const width of [2, 64]) {
      const got = inferArchitecture(shapesOf(arch, width, 64), 'x.pth');
      assert.deepEqual(got, { arch, width, lowDim: 64, inChannels: 3, countersMissing: false });
    }
    const noCounters = new Map([...shapesOf(arch, 8)].filter(([k]) => !k.endsWith('num_batches_tracked')));
    assert.equal(inferArchitecture(noCounters, 'x.pth').countersMissing, true);
  }
});

test('a state_dict that fits no architecture is refused naming the first key that does not fit', () => {
  const extra = shapesOf('resnet18', 4);
  extra.set('layer1.0.conv3.weight', [16, 4, 1, 1]);
  assert.throws(() => inferArchitecture(extra, 'odd.pth'), (e: unknown) => e instanceof ReferenceCheckpointError && e.key === 'layer1.0.conv3.weight' &&
    e.message === 'odd.pth: the state_dict matches no supported architecture (cifar-resnet18, cifar-resnet34, cifar-resnet50, resnet18, resnet34, resnet50): key "layer1.0.conv3.weight" is not a key of resnet18 (closest: resnet18, width 4)');

  // A ResNet-101 (23 blocks in layer3): the first key past ResNet-50's layer3.5.
  const r101 = shapesOf('resnet50', 2);
  for (let b = 6; b < 23; b++) for (const [k, v] of shapesOf('resnet50', 2)) if (k.startsWith('layer3.1.')) r101.set(k.replace('layer3.1.', `layer3.${b}.`), v);
  assert.throws(() => inferArchitecture(r101, 'r101.pth', 'resnet101'), (e: unknown) => e instanceof ReferenceCheckpointError && e.key === 'layer3.6.conv1.weight' &&
    /\(the file states arch "resnet101"\): key "layer3\.6\.conv1\.weight" is not a key of resnet50/.test(e.message));

  const wrongShape = shapesOf('cifar-resnet34', 4);
  wrongShape.set('layer2.0.conv1.weight', [8, 4, 5, 5]);
  assert.throws(() => inferArchitecture(wrongShape, 'w.pth'), /key "layer2\.0\.conv1\.weight" has shape \[8, 4, 5, 5\], cifar-resnet34 expects \[8, 4, 3, 3\]/);

  const missing = shapesOf('resnet34', 4);
  missing.delete('fc.bias');
  assert.throws(() => inferArchitecture(missing, 'm.pth'), /it lacks "fc\.bias" \[128\] of resnet34/);

  assert.throws(() => inferArchitecture(shapesOf('resnet18', 4), 'c.pth', 'resnet50'), /states arch "resnet50" but its state_dict is a resnet18 \(width 4\)/);
});

test('DataParallel\'s module. prefix is stripped', () => {
  assert.deepEqual([...stripModulePrefix(new Map([['module.conv1.weight', 1], ['fc.bias', 2]])).keys()], ['conv1.weight', 'fc.bias']);
});
