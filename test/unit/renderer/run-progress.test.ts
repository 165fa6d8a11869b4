import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Progress } from '../../../shared/domain.ts';
import { progressFraction, progressView } from '../../../src-renderer/stores/run-progress.ts';

const p = (epoch: number, iteration: number, patch: Partial<Progress> = {}): Progress => ({
  runId: 'r',
  phase: 'train',
  epoch,
  epochs: 4,
  iteration,
  iterations: 10,
  imagesPerSec: 100,
  etaSeconds: 30,
  ...patch,
});

test('the fraction counts finished epochs plus the share of the current one (epoch is 1-based)', () => {
  assert.equal(progressFraction(p(1, 0)), 0);
  assert.equal(progressFraction(p(1, 5)), 0.125);
  assert.equal(progressFraction(p(2, 10)), 0.5);
  assert.equal(progressFraction(p(4, 10)), 1);
  assert.equal(progressFraction(p(0, 0, { phase: 'starting', iterations: 0 })), 0);
  assert.equal(progressFraction(p(9, 99)), 1);
});

test('a completed run shows a full bar whatever the last event said', () => {
  const v = progressView({ status: 'completed', epochs: 4, epochsDone: 4 }, p(4, 9));
  assert.equal(v.fraction, 1);
  assert.equal(v.epoch, 4);
  assert.equal(v.imagesPerSec, null);
});

test('without events the bar follows epochsDone; throughput is shown only while training', () => {
  assert.equal(progressView({ status: 'running', epochs: 4, epochsDone: 1 }, undefined).fraction, 0.25);
  assert.equal(progressView({ status: 'running', epochs: 4, epochsDone: 1 }, p(2, 5)).imagesPerSec, 100);
  assert.equal(progressView({ status: 'running', epochs: 4, epochsDone: 1 }, p(2, 10, { phase: 'eval', imagesPerSec: 0 })).imagesPerSec, null);
  assert.equal(progressView({ status: 'cancelled', epochs: 4, epochsDone: 1 }, p(2, 5)).etaSeconds, null);
});
