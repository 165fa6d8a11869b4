/** The ResNet layout computed without building a model is the layout the built model has, at any width. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createModel } from '../../../../src-main/engine/models/model.ts';
import { RESNET_ARCHS, resnetStateDictLayout } from '../../../../src-main/engine/models/resnet-layout.ts';
import { useBackend } from './backend.ts';
import { loadLayoutFixture } from './fixtures.ts';

test('at the default width the layout is torch\'s reference state_dict (names, shapes, dtypes, order)', () => {
  const fixture = loadLayoutFixture();
  for (const arch of RESNET_ARCHS) {
    const layout = resnetStateDictLayout(arch, { width: 64, lowDim: 128, inChannels: 3 });
    assert.deepEqual(layout.map((e) => [e.name, [...e.shape], e.dtype]), fixture[arch].entries, arch);
  }
});

test('a model built at a reduced width has exactly the layout of that width, and width defaults to 64', async () => {
  await useBackend('cpu');
  for (const arch of RESNET_ARCHS) {
    const model = createModel(arch, { width: 2, lowDim: 16 });
    try {
      const expected = resnetStateDictLayout(arch, { width: 2, lowDim: 16, inChannels: 3 });
      assert.deepEqual(model.stateDict.map((s) => [s.name, [...s.torchShape], s.torchDtype]), expected.map((e) => [e.name, [...e.shape], e.dtype]), arch);
    } finally {
      model.dispose();
    }
  }
  const plain = createModel('cifar-resnet18');
  try {
    assert.deepEqual(plain.stateDict[0]!.torchShape, [64, 3, 3, 3]);
  } finally {
    plain.dispose();
  }
  assert.throws(() => createModel('resnet18', { width: 0 }), /width must be an integer in 1\.\.4096, got 0/);
  assert.throws(() => createModel('small-convnet', { width: 8 }), /width applies to the ResNets only/);
});
