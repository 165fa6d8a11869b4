/** Contract tests of the IPC transport, driven through fakes of ipcMain and webContents. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { METHOD_NAMES, transportNames, type CallResult } from '../../../shared/api.ts';
import { forwardEventsToRenderers, registerIpcHandlers } from '../../../src-main/app/ipc-bridge.ts';
import { isAppUrl, isTrustedAppSender } from '../../../src-main/app/window-security.ts';
import type { IpcBridgeOptions } from '../../../src-main/app/ipc-bridge.ts';
import { EventBus } from '../../../src-main/core/event-bus.ts';
import { demoConfig } from '../../fixtures/run-records.ts';
import { FakeIpcMain, FakeWebContents } from '../../fixtures/fake-electron.ts';
import { startTestCore } from '../../fixtures/test-core.ts';

test('every contract method gets its channel, and nothing else is registered; dispose removes them', { timeout: 60_000 }, async () => {
  const t = await startTestCore('completing');
  try {
    const ipc = new FakeIpcMain();
    const dispose = registerIpcHandlers(ipc, t.core.handlers, { isTrustedSender: isTrustedAppSender });
    assert.deepEqual([...ipc.handlers.keys()].sort(), METHOD_NAMES.map((m) => transportNames.ipcChannel(m)).sort());
    dispose();
    assert.equal(ipc.handlers.size, 0);
  } finally {
    await t.dispose();
  }
});

test('calls are validated with the schema: bad input → invalid_input naming the field; good input reaches the core', { timeout: 60_000 }, async () => {
  const t = await startTestCore('completing');
  try {
    const ipc = new FakeIpcMain();
    registerIpcHandlers(ipc, t.core.handlers, { isTrustedSender: (e) => isAppUrl(e.senderFrame?.url) });
    const from = 'snca://app/index.html';
    const bad = (await ipc.invoke(transportNames.ipcChannel('runs.create'), from, { config: { ...demoConfig(), epochs: 'many' } })) as CallResult<unknown>;
    assert.equal(bad.ok, false);
    assert.ok(!bad.ok && bad.error.code === 'invalid_input' && bad.error.issues?.[0]?.path === 'config.epochs');
    const noInput = (await ipc.invoke(transportNames.ipcChannel('runs.get'), from)) as CallResult<unknown>;
    assert.ok(!noInput.ok && noInput.error.issues?.[0]?.path === 'id');
    const created = (await ipc.invoke(transportNames.ipcChannel('runs.create'), from, { config: demoConfig({ epochs: 1, batchSize: 5 }) })) as CallResult<{ id: string }>;
    assert.ok(created.ok);
    await t.core.runs.whenEnded(created.result.id);
    const list = (await ipc.invoke(transportNames.ipcChannel('runs.list'), from, {})) as CallResult<{ runs: { id: string }[] }>;
    assert.ok(list.ok && list.result.runs.some((r) => r.id === created.result.id));
    const foreign = (await ipc.invoke(transportNames.ipcChannel('runs.list'), 'https://evil.example/', {})) as CallResult<unknown>;
    assert.ok(!foreign.ok && foreign.error.code === 'unauthorized', 'frames outside snca://app are refused');
  } finally {
    await t.dispose();
  }
});

test('bus events go to every live window on the event channel', () => {
  const bus = new EventBus();
  const a = new FakeWebContents();
  const b = new FakeWebContents();
  b.destroyed = true;
  const stop = forwardEventsToRenderers(bus, () => [a, b]);
  const entry = { id: 1, runId: 'r', level: 'info' as const, message: 'hello', wallTime: 1 };
  bus.emit('run.log', entry);
  stop();
  bus.emit('run.log', { ...entry, message: 'after stop' });
  assert.deepEqual(a.sent, [{ channel: transportNames.ipcEventChannel, args: [{ event: 'run.log', payload: entry }] }]);
  assert.deepEqual(b.sent, []);
});

test('sender validation fails closed: without a check every call is refused, with ours only app frames pass', { timeout: 60_000 }, async () => {
  const t = await startTestCore('completing');
  try {
    const channel = transportNames.ipcChannel('system.info');
    for (const options of [undefined, {}, { isTrustedSender: 'yes' }] as unknown as IpcBridgeOptions[]) {
      const ipc = new FakeIpcMain();
      registerIpcHandlers(ipc, t.core.handlers, options);
      const r = (await ipc.invoke(channel, 'snca://app/index.html', {})) as CallResult<unknown>;
      assert.ok(!r.ok && r.error.code === 'unauthorized', JSON.stringify(options));
    }
    const ipc = new FakeIpcMain();
    registerIpcHandlers(ipc, t.core.handlers, { isTrustedSender: isTrustedAppSender });
    assert.ok(((await ipc.invoke(channel, 'snca://app/runs/x', {})) as CallResult<unknown>).ok);
    for (const url of ['https://evil.example/', 'file:///tmp/x.html', 'snca://other/index.html', '']) {
      const r = (await ipc.invoke(channel, url, {})) as CallResult<unknown>;
      assert.ok(!r.ok && r.error.code === 'unauthorized', url);
    }
    assert.equal(isAppUrl('snca://app/'), true);
  } finally {
    await t.dispose();
  }
});
