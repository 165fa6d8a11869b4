import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunIdSchema } from '../../../shared/domain.ts';
import { createRunIdGenerator, newRunId } from '../../../src-main/core/run-id.ts';

test('ids are short, url-safe, valid run ids', () => {
  const id = newRunId();
  assert.equal(id.length, 15);
  assert.match(id, /^[0-9a-z]+$/);
  assert.ok(RunIdSchema.safeParse(id).success);
});

test('ids sort by creation time, and stay increasing within one millisecond', () => {
  let t = 1_700_000_000_000;
  const gen = createRunIdGenerator(() => t, () => 12345);
  const a = gen();
  const b = gen(); // same millisecond
  t += 1;
  const c = gen();
  t -= 5; // clock stepped back
  const d = gen();
  const ids = [a, b, c, d];
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, 4);
  // Later times always sort later, across generators (e.g. two processes).
  const early = createRunIdGenerator(() => 1_000, () => 2 ** 30 - 1)();
  const late = createRunIdGenerator(() => 1_001, () => 0)();
  assert.ok(early < late);
});
