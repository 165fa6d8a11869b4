import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeCombination, expandSweep, parseSweepAxis, SweepError, withConfigValue } from '../../../shared/sweep.ts';

test('sweep axes parse numbers and booleans, and expand to every combination, first axis slowest', () => {
  const lr = parseSweepAxis('lr=0.1,0.05');
  const t = parseSweepAxis('temperature=0.05,0.1');
  assert.deepEqual(lr, { path: 'lr', values: [0.1, 0.05] });
  const combos = expandSweep([lr, t]);
  assert.deepEqual(combos.map(describeCombination), [
    'lr=0.1 temperature=0.05',
    'lr=0.1 temperature=0.1',
    'lr=0.05 temperature=0.05',
    'lr=0.05 temperature=0.1',
  ]);
  assert.deepEqual(parseSweepAxis('eval.recomputeMemory=true,false').values, [true, false]);
});

test('bad sweeps are refused with what is wrong', () => {
  assert.throws(() => parseSweepAxis('lr'), SweepError);
  assert.throws(() => parseSweepAxis('lr=0.1,,0.2'), /empty value/);
  assert.throws(() => parseSweepAxis('lr=0.1,0.1'), /listed twice/);
  assert.throws(() => parseSweepAxis('1lr=0.1'), /not a config field path/);
  assert.throws(() => expandSweep([parseSweepAxis('lr=1,2'), parseSweepAxis('lr=3')]), /swept twice/);
  const many = Array.from({ length: 11 }, (_, i) => i).join(',');
  assert.throws(() => expandSweep([parseSweepAxis(`a=${many}`), parseSweepAxis(`b=${many}`), parseSweepAxis(`c=${many}`)]), /1331 runs/);
});

test('values are set by dotted path without touching the original config', () => {
  const config = { lr: 0.1, eval: { k: 30 } };
  const next = withConfigValue(config, 'eval.k', 200);
  assert.deepEqual(next, { lr: 0.1, eval: { k: 200 } });
  assert.deepEqual(config, { lr: 0.1, eval: { k: 30 } });
  assert.throws(() => withConfigValue(config, 'lr.x', 1), /not a group/);
});
