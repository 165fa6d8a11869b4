import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PresetSchema } from '../../../shared/api.ts';
import { PRESETS } from '../../../shared/run-config.ts';
import { orderPresets } from '../../../src-renderer/stores/presets.ts';

test('offline presets (the MNIST demo) come first, the rest keep the server order', () => {
  const demo = PresetSchema.parse(PRESETS[0]);
  const paper = (id: string) => ({ ...demo, id, title: id, offline: false });
  const ordered = orderPresets([paper('cifar10-resnet18'), demo, paper('imagenet-resnet50')]);
  assert.deepEqual(ordered.map((p) => p.id), ['mnist-demo', 'cifar10-resnet18', 'imagenet-resnet50']);
  assert.equal(ordered[0].title, 'MNIST demo (offline)');
});
