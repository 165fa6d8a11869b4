import assert from 'node:assert/strict';
import { test } from 'node:test';
import { METHOD_NAMES, type EventEnvelope, type PreloadBridge } from '../../../shared/api.ts';
import { ApiError } from '../../../shared/api-error.ts';
import { createIpcClient } from '../../../src-renderer/api/ipc-client.ts';

function fakeBridge(answers: Record<string, unknown>) {
  const calls: [string, unknown][] = [];
  let listener: ((e: EventEnvelope) => void) | null = null;
  const methods = Object.fromEntries(
    METHOD_NAMES.map((m) => [m, async (input: unknown) => (calls.push([m, input]), answers[m])]),
  ) as unknown as PreloadBridge['methods'];
  const bridge: PreloadBridge = {
    methods,
    onEvent(l) {
      listener = l;
      return () => (listener = null);
    },
  };
  return { bridge, calls, fire: (e: unknown) => listener?.(e as EventEnvelope), listening: () => listener !== null };
}

test('calls the preload function of the method and parses its CallResult', async () => {
  const f = fakeBridge({ 'system.info': { ok: true, result: { version: '1', dataHome: '/d', backends: ['cpu'], backend: 'cpu', platform: 'linux', shell: 'electron' } } });
  const c = createIpcClient(f.bridge);
  const info = await c.call('system.info', {});
  assert.equal(info.shell, 'electron');
  assert.deepEqual(f.calls, [['system.info', {}]]);
});

test('an error result becomes an ApiError; a malformed result an internal one', async () => {
  const f = fakeBridge({
    'runs.get': { ok: false, error: { code: 'not_found', message: 'Run x was not found' } },
    'runs.list': { ok: true, result: [{ id: 1 }] },
  });
  const c = createIpcClient(f.bridge);
  await assert.rejects(c.call('runs.get', { id: 'x' }), (e: unknown) => e instanceof ApiError && e.code === 'not_found');
  await assert.rejects(c.call('runs.list', {}), (e: unknown) => e instanceof ApiError && e.code === 'internal');
});

test('events from the bridge are validated and dispatched; close unsubscribes', () => {
  const f = fakeBridge({});
  const c = createIpcClient(f.bridge);
  const got: number[] = [];
  c.on('run.log', (l) => got.push(l.id));
  f.fire({ event: 'run.log', payload: { id: 4, runId: 'r', level: 'info', message: 'x', wallTime: 1 } });
  f.fire({ event: 'run.log', payload: { id: 'four' } });
  assert.deepEqual(got, [4]);
  c.close();
  assert.equal(f.listening(), false);
});
