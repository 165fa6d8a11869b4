/**
 * Preload entry (bundled to dist/main/preload.cjs: sandboxed preloads must be CommonJS and
 * may require only 'electron'; everything else is bundled in).
 */
import type { ContextBridgeLike, IpcRendererLike } from './electron-like.ts';
import { exposePreloadBridge } from './preload-bridge.ts';

// Not `import`: electron is optional (no types here) and the bundle is CommonJS anyway.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const electron = require('electron') as { contextBridge: ContextBridgeLike; ipcRenderer: IpcRendererLike };
exposePreloadBridge(electron.contextBridge, electron.ipcRenderer);
