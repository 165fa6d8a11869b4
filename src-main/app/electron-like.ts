/**
 * The slices of Electron's API the shell uses, as structural types. Electron is an optional
 * dependency (absent in CI and headless installs), so nothing here imports it: the entry
 * files load it at run time and the wiring is tested with fakes of these interfaces.
 */

import type { MenuItemTemplate } from './app-menu.ts';

export interface PreventableEvent {
  preventDefault(): void;
  /** Electron ≥ 25 puts the target URL on the navigation event itself. */
  url?: string;
}

export interface IpcInvokeEventLike {
  senderFrame?: { url: string } | null;
}

export interface SessionLike {
  setPermissionRequestHandler(handler: (contents: unknown, permission: string, callback: (granted: boolean) => void) => void): void;
  setPermissionCheckHandler(handler: (contents: unknown, permission: string) => boolean): void;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export type IpcRendererListener = (event: unknown, ...args: unknown[]) => void;

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: IpcRendererListener): unknown;
  removeListener(channel: string, listener: IpcRendererListener): unknown;
}

export interface ContextBridgeLike {
  exposeInMainWorld(apiKey: string, api: unknown): void;
}

export interface EventTargetContentsLike {
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
}

export type WindowOpenDecision = { action: 'deny' } | { action: 'allow' };

export interface NavigableContentsLike {
  setWindowOpenHandler(handler: (details: { url: string }) => WindowOpenDecision): void;
  on(event: string, listener: (event: PreventableEvent, url?: string) => void): unknown;
}

export interface BrowserWindowLike {
  readonly webContents: EventTargetContentsLike & NavigableContentsLike;
  getNormalBounds(): { x: number; y: number; width: number; height: number };
  isMaximized(): boolean;
  maximize(): void;
  isFocused(): boolean;
  on(event: 'close', listener: () => void): unknown;
  isMinimized(): boolean;
  restore(): void;
  focus(): void;
  show(): void;
  once(event: 'ready-to-show', listener: () => void): unknown;
  loadURL(url: string): Promise<void>;
}

export interface ElectronMainModule {
  app: {
    requestSingleInstanceLock(): boolean;
    enableSandbox(): void;
    whenReady(): Promise<void>;
    quit(): void;
    exit(code?: number): void;
    on(event: string, listener: (...args: never[]) => void): unknown;
    getVersion(): string;
  };
  BrowserWindow: {
    new (options: object): BrowserWindowLike;
    getAllWindows(): BrowserWindowLike[];
  };
  ipcMain: IpcMainLike;
  protocol: {
    registerSchemesAsPrivileged(schemes: { scheme: string; privileges: Record<string, boolean> }[]): void;
    handle(scheme: string, handler: (request: Request) => Promise<Response>): void;
  };
  shell: { openExternal(url: string): Promise<void>; openPath(path: string): Promise<string> };
  session: {
    defaultSession: SessionLike;
  };
  dialog: DialogLike & {
    showErrorBox(title: string, content: string): void;
    showMessageBox(options: { type: string; title: string; message: string; detail?: string }): Promise<unknown>;
  };
  Menu: { buildFromTemplate(template: MenuItemTemplate[]): unknown; setApplicationMenu(menu: unknown): void };
  Notification: { new (options: { title: string; body: string }): { show(): void }; isSupported(): boolean };
  screen: { getAllDisplays(): { workArea: { x: number; y: number; width: number; height: number } }[] };
}

/** Electron's dialog module, as far as the native file dialogs use it. */
export interface OpenDialogOptionsLike {
  title: string;
  properties: string[];
  filters?: { name: string; extensions: string[] }[];
}

export interface DialogLike {
  showOpenDialog(options: OpenDialogOptionsLike): Promise<{ canceled: boolean; filePaths: string[] }>;
}
