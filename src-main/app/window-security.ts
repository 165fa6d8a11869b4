/**
 * The window's security settings and navigation rules: the renderer is isolated and
 * sandboxed with no Node access, may only show our own app:// pages, and links to the web
 * open in the user's browser instead of a window of ours.
 */
import type { IpcInvokeEventLike, NavigableContentsLike, PreventableEvent, SessionLike } from './electron-like.ts';

export const APP_SCHEME = 'snca';
export const APP_HOST = 'app';
const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_START_URL = `${APP_ORIGIN}/index.html`;

export function mainWindowOptions(preloadPath: string) {
  return {
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'SNCA Studio',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  } as const;
}

export function isAppUrl(url: string | undefined | null): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}

/** Links we hand to the system browser: plain web pages and mail only (no file:, no custom schemes). */
export function isSafeExternalUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' || u.protocol === 'mailto:';
  } catch {
    return false;
  }
}

/** Applies the rules to a webContents: no new windows, no navigation away, no <webview>. */
export function hardenContents(contents: NavigableContentsLike, openExternal: (url: string) => void): void {
  contents.setWindowOpenHandler(({ url }) => {
    if (isSafeExternalUrl(url)) openExternal(url);
    return { action: 'deny' };
  });
  const guard = (event: PreventableEvent, url?: string) => {
    const target = event.url ?? url ?? '';
    if (isAppUrl(target)) return;
    event.preventDefault();
    if (isSafeExternalUrl(target)) openExternal(target);
  };
  contents.on('will-navigate', guard);
  contents.on('will-redirect', guard);
  // Frames (an <iframe> a page might get) navigate through this one; the same rule holds.
  contents.on('will-frame-navigate', guard);
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/**
 * The app asks for no browser permission (camera, notifications from the page, geolocation,
 * clipboard reads…): requests are answered no, and checks, which pages use to probe a
 * permission without a prompt, are answered no too.
 */
export function hardenSession(session: SessionLike): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

/** The IPC sender check of the app's window: the main frame of one of our own pages. */
export function isTrustedAppSender(event: IpcInvokeEventLike): boolean {
  return isAppUrl(event.senderFrame?.url);
}
