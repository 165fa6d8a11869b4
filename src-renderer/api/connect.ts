/** Picks the transport: Electron's preload bridge when present, serve mode's HTTP otherwise. */
import { PRELOAD_GLOBAL, type PreloadBridge } from '../../shared/api.ts';
import type { RendererApiClient } from './client-types.ts';
import { createHttpClient, type WebSocketConstructor } from './http-client.ts';
import { createIpcClient } from './ipc-client.ts';
import { takeSessionToken } from './session-token.ts';
import { desktopBridgeOf } from '../stores/desktop-dialogs.ts';

function isPreloadBridge(value: unknown): value is PreloadBridge {
  return (
    !!value &&
    typeof value === 'object' &&
    typeof (value as PreloadBridge).onEvent === 'function' &&
    !!(value as PreloadBridge).methods &&
    typeof (value as PreloadBridge).methods === 'object'
  );
}

export function connectApi(win: Window = window): RendererApiClient {
  const bridge = (win as unknown as Record<string, unknown>)[PRELOAD_GLOBAL];
  if (isPreloadBridge(bridge)) {
    const desktop = desktopBridgeOf(win);
    return createIpcClient(bridge, (file) => desktop?.pathOfDroppedFile(file) ?? null);
  }
  let storage: Storage | null = null;
  try {
    storage = win.sessionStorage;
  } catch {
    storage = null;
  }
  const token = takeSessionToken(win.location, storage, win.history) ?? '';
  return createHttpClient({
    baseUrl: win.location.origin,
    token,
    WebSocketImpl: (win as Window & typeof globalThis).WebSocket as unknown as WebSocketConstructor,
    fetchImpl: (url, init) => win.fetch(url, init),
  });
}
