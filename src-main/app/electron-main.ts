/**
 * Electron main-process entry (bundled to dist/main/electron-main.js): one instance, one
 * window on the snca://app protocol, the contract over IPC, the core in this process.
 * Electron is loaded dynamically here and only here, so every other module builds and is
 * tested without it.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCore, type Core } from '../core/core.ts';
import { DEFAULT_RENDERER_DIR, PACKAGE_ROOT } from '../core/package-root.ts';
import { electronSqliteBuild } from './sqlite-build.ts';
import { DeviceListError, parseDeviceList, type AllowedDevices } from '../../shared/compute-devices.ts';
import { createAppProtocolHandler } from './app-protocol.ts';
import type { BrowserWindowLike, ElectronMainModule, PreventableEvent } from './electron-like.ts';
import { appMenuTemplate } from './app-menu.ts';
import { forwardEventsToRenderers, registerIpcHandlers } from './ipc-bridge.ts';
import { DIALOG_OPTIONS, TORCH_CHECKPOINT_EXTENSIONS, registerDialogHandlers } from './native-dialogs.ts';
import { notifyRunEnds } from './run-notifications.ts';
import { loadWindowState, saveWindowState } from './window-state.ts';
import { APP_SCHEME, APP_START_URL, hardenContents, hardenSession, isSafeExternalUrl, isTrustedAppSender, mainWindowOptions } from './window-security.ts';

// A variable specifier keeps TypeScript and esbuild from resolving the optional package at build time.
const ELECTRON = 'electron';

/** Native modules built for Node cannot load in Electron (different ABI) until rebuilt for it. */
function startupAdvice(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/NODE_MODULE_VERSION|was compiled against a different Node\.js version/.test(message)) {
    return `${message}\n\nbetter-sqlite3 is built for Node, not Electron. Run "npm run rebuild:electron-sqlite" in the project folder (it puts an Electron build in native/electron/ and leaves the Node build alone), then start again.`;
  }
  return message;
}

async function main(): Promise<void> {
  const electron = (await import(ELECTRON)) as ElectronMainModule;
  const { app, BrowserWindow, ipcMain, protocol, shell, session, dialog, Menu, Notification, screen } = electron;

  if (!app.requestSingleInstanceLock()) {
    // Another window already owns the database and the scheduler; it gets focused instead.
    app.quit();
    return;
  }
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
  app.enableSandbox();
  await app.whenReady();

  const sqlite = electronSqliteBuild(PACKAGE_ROOT);
  process.stderr.write(`snca: ${sqlite.description}\n`);
  let core: Core;
  try {
    const allowed = devicesFlag(process.argv);
    core = await createCore({
      shell: 'electron',
      devices: 'discover',
      ...(allowed !== undefined ? { allowedDevices: allowed } : {}),
      ...(sqlite.binding ? { sqliteBinding: sqlite.binding } : {}),
    });
  } catch (err) {
    dialog.showErrorBox('SNCA Studio cannot start', startupAdvice(err));
    app.exit(1);
    return;
  }

  const openExternal = (url: string) => {
    if (isSafeExternalUrl(url)) void shell.openExternal(url);
  };
  protocol.handle(APP_SCHEME, createAppProtocolHandler(DEFAULT_RENDERER_DIR, core.thumbnails.source));
  hardenSession(session.defaultSession);
  const removeIpc = registerIpcHandlers(ipcMain, core.handlers, {
    isTrustedSender: isTrustedAppSender,
    diagnostics: (line) => process.stderr.write(`snca: ${line}\n`),
  });
  const removeDialogs = registerDialogHandlers(ipcMain, dialog, isTrustedAppSender);
  const stopEvents = forwardEventsToRenderers(core.bus, () => BrowserWindow.getAllWindows().map((w) => w.webContents));
  // A run that ends while the window is in the background is announced by the desktop.
  const stopNotices = notifyRunEnds(core.bus, (notice) => {
    if (!Notification.isSupported() || BrowserWindow.getAllWindows().some((w) => w.isFocused())) return;
    new Notification(notice).show();
  });

  const showDialogAnswer = async (kind: 'folder' | 'checkpoint') => {
    const picked = await dialog.showOpenDialog(DIALOG_OPTIONS[kind]);
    const path = picked.canceled ? undefined : picked.filePaths[0];
    if (!path) return;
    if (kind === 'folder') {
      const v = await core.datasets.validate({ kind: 'imagefolder', root: path }).catch(() => null);
      const c = await core.datasets.validate({ kind: 'cifar10', root: path }).catch(() => null);
      const ok = [v, c].find((x) => x?.ok);
      await dialog.showMessageBox({ type: ok ? 'info' : 'warning', title: 'Dataset folder', message: ok ? `${path} is a usable dataset folder` : `${path} is not a dataset folder`, detail: ok ? undefined : (c?.message ?? v?.message ?? undefined) });
    } else if (TORCH_CHECKPOINT_EXTENSIONS.some((ext) => path.toLowerCase().endsWith(`.${ext}`))) {
      try {
        const job = core.models.import({ path });
        await dialog.showMessageBox({ type: 'info', title: 'Import', message: `Importing ${path} as model "${job.name}"`, detail: 'Its progress shows on the Models screen.' });
      } catch (err) {
        await dialog.showMessageBox({ type: 'warning', title: 'Import', message: `${path} was not imported`, detail: err instanceof Error ? err.message : String(err) });
      }
    } else {
      await dialog.showMessageBox({ type: 'info', title: 'Checkpoint', message: path, detail: 'Evaluate it from the Evaluations panel of its run, or with `snca eval`.' });
    }
  };
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      appMenuTemplate(process.platform, {
        openCheckpoint: () => void showDialogAnswer('checkpoint'),
        checkDatasetFolder: () => void showDialogAnswer('folder'),
        openDataFolder: () => void shell.openPath(core.home),
        openPaper: () => openExternal('https://arxiv.org/abs/1808.04699'),
      }),
    ),
  );

  const preloadPath = join(dirname(fileURLToPath(import.meta.url)), 'preload.cjs');
  const createWindow = (): BrowserWindowLike => {
    const remembered = loadWindowState(core.home, screen.getAllDisplays().map((d) => d.workArea));
    const defaults = mainWindowOptions(preloadPath);
    const win = new BrowserWindow(remembered ? { ...defaults, x: remembered.x, y: remembered.y, width: remembered.width, height: remembered.height } : defaults);
    if (remembered?.maximized) win.maximize();
    win.on('close', () => saveWindowState(core.home, { ...win.getNormalBounds(), maximized: win.isMaximized() }));
    hardenContents(win.webContents, openExternal);
    win.once('ready-to-show', () => win.show());
    void win.loadURL(APP_START_URL);
    return win;
  };

  app.on('second-instance', () => {
    const [win] = BrowserWindow.getAllWindows();
    if (!win) return void createWindow();
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  let shutDown = false;
  app.on('will-quit', (event: PreventableEvent) => {
    if (shutDown) return;
    // Let running jobs end `interrupted` and the database close before the process goes.
    event.preventDefault();
    shutDown = true;
    stopEvents();
    stopNotices();
    removeIpc();
    removeDialogs();
    core.close().finally(() => app.quit());
  });
  createWindow();
}

main().catch((err: unknown) => {
  process.stderr.write(`SNCA Studio failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

/** `--devices LIST` or `--devices=LIST` on the app's command line (npm start -- --devices 1,3). */
function devicesFlag(argv: readonly string[]): AllowedDevices | undefined {
  const at = argv.findIndex((a) => a === '--devices' || a.startsWith('--devices='));
  if (at < 0) return undefined;
  const arg = argv[at]!;
  const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[at + 1];
  if (value === undefined) throw new DeviceListError('--devices needs a value: "all" or indices such as 1,3');
  return parseDeviceList(value);
}
