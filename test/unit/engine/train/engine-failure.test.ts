import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEngineFailure } from '../../../../src-main/engine/train/engine-failure.ts';

test('a wasm abort becomes an out-of-memory message with what to do', () => {
  const m = describeEngineFailure(new Error('Aborted(). Build with -sASSERTIONS for more info.'), 128);
  assert.match(m, /ran out of memory at batch size 128 \(Aborted\(\)\)/);
  assert.match(m, /lower the batch size/);
  assert.match(m, /tfjs-node/);
});

test('other failures keep their own message', () => {
  assert.equal(describeEngineFailure(new Error('The loss became NaN (epoch 2, iteration 1)'), 64), 'The loss became NaN (epoch 2, iteration 1)');
  assert.equal(describeEngineFailure('plain string', 8), 'plain string');
});
