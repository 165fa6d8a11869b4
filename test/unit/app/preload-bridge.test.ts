/** The preload exposes exactly the contract's methods, talks only through named channels, and hides Electron's event objects. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { METHOD_NAMES, PRELOAD_GLOBAL, transportNames, type EventEnvelope, type PreloadBridge } from '../../../shared/api.ts';
import { registerIpcHandlers } from '../../../src-main/app/ipc-bridge.ts';
import { isTrustedAppSender } from '../../../src-main/app/window-security.ts';
import { createPreloadBridge, exposePreloadBridge } from '../../../src-main/app/preload-bridge.ts';
import { FakeContextBridge, FakeIpcMain, FakeIpcRenderer } from '../../fixtures/fake-electron.ts';
import { startTestCore } from '../../fixtures/test-core.ts';

test('exposes exactly one function per contract method under PRELOAD_GLOBAL, plus onEvent', () => {
  const bridge = new FakeContextBridge();
  exposePreloadBridge(bridge, new FakeIpcRenderer());
  assert.deepEqual([...bridge.exposed.keys()], [PRELOAD_GLOBAL]);
  const api = bridge.exposed.get(PRELOAD_GLOBAL) as PreloadBridge;
  assert.deepEqual(Object.keys(api).sort(), ['methods', 'onEvent']);
  assert.deepEqual(Object.keys(api.methods).sort(), [...METHOD_NAMES].sort());
  for (const m of METHOD_NAMES) assert.equal(typeof api.methods[m], 'function');
  assert.ok(!('ipcRenderer' in api) && !('invoke' in api));
});

test('methods invoke their own channel; an unreachable main gives unavailable, a malformed answer internal', { timeout: 60_000 }, async () => {
  const ipc = new FakeIpcRenderer();
  const api = createPreloadBridge(ipc);
  const r = await api.methods['runs.get']({ id: 'x' });
  assert.deepEqual(ipc.invoked, [{ channel: transportNames.ipcChannel('runs.get'), args: [{ id: 'x' }] }]);
  assert.ok(!r.ok && r.error.code === 'unavailable');
  const weird = createPreloadBridge({ ...ipc, invoke: async () => 'not a CallResult', on: () => {}, removeListener: () => {} });
  const w = await weird.methods['runs.list']({});
  assert.ok(!w.ok && w.error.code === 'internal');
});

test('events: the page gets envelopes only, never the Electron event; unsubscribe works', () => {
  const ipc = new FakeIpcRenderer();
  const api = createPreloadBridge(ipc);
  const got: unknown[][] = [];
  const off = api.onEvent((...args: unknown[]) => got.push(args));
  const envelope: EventEnvelope = { event: 'run.log', payload: { id: 1, runId: 'r', level: 'info', message: 'm', wallTime: 0 } };
  ipc.emit(transportNames.ipcEventChannel, envelope);
  ipc.emit(transportNames.ipcEventChannel, 'garbage');
  off();
  ipc.emit(transportNames.ipcEventChannel, envelope);
  assert.deepEqual(got, [[envelope]]);
  assert.equal(ipc.listeners.get(transportNames.ipcEventChannel)?.size, 0);
});

test('preload → ipc → main → core round trip', { timeout: 60_000 }, async () => {
  const t = await startTestCore('completing');
  try {
    const main = new FakeIpcMain();
    registerIpcHandlers(main, t.core.handlers, { isTrustedSender: isTrustedAppSender });
    const api = createPreloadBridge(new FakeIpcRenderer(main));
    const info = await api.methods['system.info']({});
    assert.ok(info.ok && info.result.dataHome === t.home);
    const bad = await api.methods['runs.logs']({ id: 'r', limit: -1 });
    assert.ok(!bad.ok && bad.error.code === 'invalid_input' && bad.error.issues?.[0]?.path === 'limit');
  } finally {
    await t.dispose();
  }
});
