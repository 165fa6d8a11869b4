import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryMomentumAt, stepDecayLr } from '../../../../src-main/engine/optim/schedules.ts';

test('step decay follows lr · 0.1^(epoch // step)', () => {
  assert.equal(stepDecayLr(0.1, 0, 40), 0.1);
  assert.equal(stepDecayLr(0.1, 39, 40), 0.1);
  assert.ok(Math.abs(stepDecayLr(0.1, 40, 40) - 0.01) < 1e-15);
  assert.ok(Math.abs(stepDecayLr(0.1, 119, 40) - 0.001) < 1e-15);
  assert.ok(Math.abs(stepDecayLr(0.03, 130, 30, 0.5) - 0.03 / 16) < 1e-15);
  assert.throws(() => stepDecayLr(0.1, 3, 0), /stepEpochs must be a positive integer/);
  assert.throws(() => stepDecayLr(0.1, -1, 40), /epoch must be an integer ≥ 0/);
});

test('memory momentum: the ImageNet recipe 0.5, 0.8 from epoch 80, 0.9 from 120', () => {
  const schedule = [{ epoch: 120, value: 0.9 }, { epoch: 80, value: 0.8 }];
  assert.equal(memoryMomentumAt(0, schedule, 0.5), 0.5);
  assert.equal(memoryMomentumAt(79, schedule, 0.5), 0.5);
  assert.equal(memoryMomentumAt(80, schedule, 0.5), 0.8);
  assert.equal(memoryMomentumAt(119, schedule, 0.5), 0.8);
  assert.equal(memoryMomentumAt(120, schedule, 0.5), 0.9);
  assert.equal(memoryMomentumAt(199, schedule, 0.5), 0.9);
  assert.equal(memoryMomentumAt(50, [], 0.5), 0.5);
});
