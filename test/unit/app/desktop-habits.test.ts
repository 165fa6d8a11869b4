/** Window bounds remembered, run-end notices, the application menu and the native dialogs, driven with fakes. */
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RunSummary } from '../../../shared/domain.ts';
import { appMenuTemplate, type MenuItemTemplate } from '../../../src-main/app/app-menu.ts';
import { createDesktopBridge, DIALOG_CHANNELS, registerDialogHandlers } from '../../../src-main/app/native-dialogs.ts';
import type { OpenDialogOptionsLike } from '../../../src-main/app/electron-like.ts';
import { notifyRunEnds, runEndNotice } from '../../../src-main/app/run-notifications.ts';
import { loadWindowState, saveWindowState, WINDOW_STATE_FILE } from '../../../src-main/app/window-state.ts';
import { isTrustedAppSender } from '../../../src-main/app/window-security.ts';
import { EventBus } from '../../../src-main/core/event-bus.ts';
import { FakeIpcMain } from '../../fixtures/fake-electron.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';

const DISPLAY = { x: 0, y: 0, width: 1920, height: 1080 };

test('window bounds are saved (0600) and restored while they fit a display; garbage or an off-screen window gives the default', () => {
  const tmp = makeTempDir();
  try {
    assert.equal(loadWindowState(tmp.dir, [DISPLAY]), null, 'nothing saved yet');
    saveWindowState(tmp.dir, { x: 100.4, y: 80, width: 1300, height: 900, maximized: true });
    assert.deepEqual(loadWindowState(tmp.dir, [DISPLAY]), { x: 100, y: 80, width: 1300, height: 900, maximized: true });
    if (process.platform !== 'win32') assert.equal(statSync(join(tmp.dir, WINDOW_STATE_FILE)).mode & 0o777, 0o600);
    // The monitor it was on is gone.
    saveWindowState(tmp.dir, { x: 2500, y: 100, width: 1000, height: 800, maximized: false });
    assert.equal(loadWindowState(tmp.dir, [DISPLAY]), null);
    assert.deepEqual(loadWindowState(tmp.dir, [DISPLAY, { x: 1920, y: 0, width: 2560, height: 1440 }])?.x, 2500);
    for (const bad of ['{', '{"x":1}', JSON.stringify({ x: 0, y: 0, width: 10, height: 10, maximized: false }), JSON.stringify({ x: 0, y: 0, width: 1e9, height: 800, maximized: false })]) {
      writeFileSync(join(tmp.dir, WINDOW_STATE_FILE), bad);
      assert.equal(loadWindowState(tmp.dir, [DISPLAY]), null, bad);
    }
    saveWindowState(tmp.dir, { x: 0, y: 0, width: Number.NaN, height: 800, maximized: false });
    assert.equal(readFileSync(join(tmp.dir, WINDOW_STATE_FILE), 'utf8'), JSON.stringify({ x: 0, y: 0, width: 1e9, height: 800, maximized: false }), 'an invalid state is not written');
  } finally {
    tmp.cleanup();
  }
});

const run = (over: Partial<RunSummary>): RunSummary =>
  ({ id: 'r1', name: 'cifar run', preset: 'p', arch: 'resnet18', datasetKind: 'cifar10', status: 'running', createdAt: '', startedAt: null, endedAt: null, error: null, backend: null, device: null, epochs: 10, epochsDone: 3, metrics: {}, ...over }) as RunSummary;

test('a notice when a run ends, once, saying how; none for other changes', () => {
  assert.equal(runEndNotice(run({ status: 'running' }), 'queued'), null);
  assert.deepEqual(runEndNotice(run({ status: 'completed', epochsDone: 10, metrics: { knn_top1: 81.234 } }), 'running'), { title: 'Run finished', body: 'cifar run finished after 10/10 epochs (knn_top1 81.23)' });
  assert.deepEqual(runEndNotice(run({ status: 'failed', error: 'out of memory' }), 'running'), { title: 'Run failed', body: 'cifar run failed after 3/10 epochs: out of memory' });
  const bus = new EventBus(() => {});
  const shown: string[] = [];
  const stop = notifyRunEnds(bus, (n) => shown.push(n.title));
  bus.emit('run.changed', run({ status: 'running' }));
  bus.emit('run.changed', run({ status: 'interrupted' }));
  bus.emit('run.changed', run({ status: 'interrupted' }));
  stop();
  bus.emit('run.changed', run({ id: 'r2', status: 'cancelled' }));
  assert.deepEqual(shown, ['Run was interrupted']);
});

function items(template: MenuItemTemplate[]): MenuItemTemplate[] {
  return template.flatMap((i) => [i, ...items(i.submenu ?? [])]);
}

test('the menu: app actions with shortcuts, standard roles, a macOS app menu', () => {
  const called: string[] = [];
  const actions = { openCheckpoint: () => called.push('ckpt'), checkDatasetFolder: () => called.push('folder'), openDataFolder: () => called.push('data'), openPaper: () => called.push('paper') };
  const linux = items(appMenuTemplate('linux', actions));
  const byLabel = (label: string) => linux.find((i) => i.label === label)!;
  assert.equal(byLabel('Open Checkpoint…').accelerator, 'CmdOrCtrl+O');
  assert.equal(byLabel('Check Dataset Folder…').accelerator, 'CmdOrCtrl+Shift+O');
  assert.equal(byLabel('Open Data Folder').accelerator, 'CmdOrCtrl+Shift+D');
  for (const label of ['Open Checkpoint…', 'Check Dataset Folder…', 'Open Data Folder', 'Scalable NCA Paper (arXiv)']) byLabel(label).click!();
  assert.deepEqual(called, ['ckpt', 'folder', 'data', 'paper']);
  const roles = linux.map((i) => i.role).filter(Boolean);
  for (const role of ['quit', 'copy', 'paste', 'zoomIn', 'togglefullscreen', 'minimize']) assert.ok(roles.includes(role), role);
  const accelerators = linux.map((i) => i.accelerator).filter(Boolean);
  assert.equal(new Set(accelerators).size, accelerators.length, 'no shortcut used twice');
  const mac = appMenuTemplate('darwin', actions);
  assert.equal(mac[0]!.label, 'SNCA Studio');
  assert.ok(items(mac).some((i) => i.role === 'quit' && i.accelerator === 'Cmd+Q'));
});

test('native dialogs: the page gets a path or null, untrusted frames get null without a dialog', async () => {
  const ipc = new FakeIpcMain();
  const asked: OpenDialogOptionsLike[] = [];
  let answer = { canceled: false, filePaths: ['/data/cifar'] };
  const remove = registerDialogHandlers(ipc, { showOpenDialog: async (o) => (asked.push(o), answer) }, isTrustedAppSender);
  const page = createDesktopBridge((channel) => ipc.invoke(channel, 'snca://app/index.html'));
  assert.equal(await page.chooseFolder(), '/data/cifar');
  assert.deepEqual(asked[0]!.properties, ['openDirectory', 'dontAddToRecent']);
  answer = { canceled: false, filePaths: ['/runs/a/epoch-0003.safetensors'] };
  assert.equal(await page.chooseCheckpoint(), '/runs/a/epoch-0003.safetensors');
  assert.deepEqual(asked[1]!.filters?.[0], { name: 'Checkpoints', extensions: ['pth', 'tar', 't7', 'pt', 'safetensors'] }, 'the reference .pth/.pth.tar/.tar/.t7 and ours');
  const dropped = createDesktopBridge(
    (channel) => ipc.invoke(channel, 'snca://app/index.html'),
    (file) => (file === page ? '/m/resnet50.pth.tar' : ''),
  );
  assert.equal(dropped.pathOfDroppedFile(page), '/m/resnet50.pth.tar');
  assert.equal(dropped.pathOfDroppedFile({}), null, 'a file without a path on disk');
  answer = { canceled: true, filePaths: [] };
  assert.equal(await page.chooseFolder(), null);
  const evil = createDesktopBridge((channel) => ipc.invoke(channel, 'https://evil.example/'));
  assert.equal(await evil.chooseFolder(), null);
  assert.equal(asked.length, 3, 'no dialog for an untrusted frame');
  remove();
  assert.equal(ipc.handlers.has(DIALOG_CHANNELS.folder), false);
});
