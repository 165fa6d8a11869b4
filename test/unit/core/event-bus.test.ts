import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus } from '../../../src-main/core/event-bus.ts';
import type { EventEnvelope } from '../../../shared/api.ts';

const log = { id: 1, runId: 'r', level: 'info' as const, message: 'm', wallTime: 0 };

test('typed listeners and envelopes; unsubscribe works', () => {
  const bus = new EventBus();
  const seen: string[] = [];
  const envelopes: EventEnvelope[] = [];
  const off = bus.on('run.log', (e) => seen.push(e.message));
  bus.onAny((e) => envelopes.push(e));
  bus.emit('run.log', log);
  off();
  bus.emit('run.log', { ...log, message: 'second' });
  assert.deepEqual(seen, ['m']);
  assert.deepEqual(envelopes.map((e) => e.event), ['run.log', 'run.log']);
});

test('a throwing listener is reported and does not stop the others', () => {
  const errors: string[] = [];
  const bus = new EventBus((err, event) => errors.push(`${event}: ${(err as Error).message}`));
  let reached = 0;
  bus.on('run.log', () => {
    throw new Error('bad listener');
  });
  bus.on('run.log', () => reached++);
  bus.onAny(() => reached++);
  bus.emit('run.log', log);
  assert.equal(reached, 2);
  assert.deepEqual(errors, ['run.log: bad listener']);
});
