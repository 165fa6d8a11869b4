/**
 * Preload entry (bundled to dist/main/preload.cjs: sandboxed preloads must be CommonJS and
 * may require only 'electron'; everything else is bundled in).
 */
import type { ContextBridgeLike, IpcRendererLike } from './electron-like.ts';
import { DESKTOP_GLOBAL, createDesktopBridge } from './native-dialogs.ts';
import { exposePreloadBridge } from './preload-bridge.ts';

// Not `import`: electron is optional (no types here) and the bundle is CommonJS anyway.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const electron = require('electron') as {
  contextBridge: ContextBridgeLike;
  ipcRenderer: IpcRendererLike;
  webUtils: { getPathForFile(file: object): string };
};
exposePreloadBridge(electron.contextBridge, electron.ipcRenderer);
electron.contextBridge.exposeInMainWorld(
  DESKTOP_GLOBAL,
  createDesktopBridge((channel) => electron.ipcRenderer.invoke(channel), (file) => electron.webUtils.getPathForFile(file)),
);
