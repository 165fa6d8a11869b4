import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../../src-main/store/store.ts';
import { newRun } from '../../fixtures/run-records.ts';

const ck = (epoch: number, kind: 'latest' | 'best' | 'epoch') => ({
  epoch,
  kind,
  path: `/runs/r/checkpoints/${kind}-${epoch}.safetensors`,
  sha256: 'ab'.repeat(32),
  bytes: 1000 + epoch,
  metrics: { knn_top1: epoch / 10 },
});

test('checkpoints round-trip; latest/best are replaced, epoch kinds accumulate', () => {
  const store = openStore(':memory:');
  store.runs.insert(newRun('r'));
  const first = store.checkpoints.record('r', ck(1, 'latest'), '2025-01-01T00:00:00.000Z');
  assert.equal(first.runId, 'r');
  assert.deepEqual(first.metrics, { knn_top1: 0.1 });
  store.checkpoints.record('r', ck(1, 'best'), 'T');
  store.checkpoints.record('r', ck(1, 'epoch'), 'T');
  store.checkpoints.record('r', ck(2, 'latest'), 'T');
  store.checkpoints.record('r', ck(2, 'epoch'), 'T');
  store.checkpoints.record('r', ck(2, 'epoch'), 'T'); // rewritten epoch 2: still one row
  const list = store.checkpoints.list('r');
  assert.deepEqual(list.map((c) => `${c.kind}@${c.epoch}`), ['best@1', 'epoch@1', 'latest@2', 'epoch@2']);
  assert.equal(list.find((c) => c.kind === 'latest')!.bytes, 1002);
  assert.deepEqual(store.checkpoints.list('nothing'), []);
  store.close();
});
