/**
 * Native file dialogs for the desktop window: a folder (a dataset) and a checkpoint file. The
 * page asks over two IPC channels (the same sender check as the contract) and gets a path or
 * null; the preload exposes them as `window.sncaDesktop`. Serve mode has no such thing: the
 * page types paths there.
 */
import type { DesktopBridge } from '../../shared/desktop.ts';
import type { DialogLike, IpcInvokeEventLike, IpcMainLike, OpenDialogOptionsLike } from './electron-like.ts';

export const DIALOG_CHANNELS = { folder: 'snca:dialog:folder', checkpoint: 'snca:dialog:checkpoint' } as const;
export { DESKTOP_GLOBAL } from '../../shared/desktop.ts';


/** What each dialog shows: folders only, or safetensors checkpoints. */
export const DIALOG_OPTIONS: Record<keyof typeof DIALOG_CHANNELS, OpenDialogOptionsLike> = {
  folder: { title: 'Choose a dataset folder', properties: ['openDirectory', 'dontAddToRecent'] },
  checkpoint: {
    title: 'Choose a checkpoint',
    properties: ['openFile', 'dontAddToRecent'],
    filters: [{ name: 'Checkpoints (safetensors)', extensions: ['safetensors'] }],
  },
};

/** Registers both dialog channels; returns a function removing them. Untrusted senders get null. */
export function registerDialogHandlers(ipcMain: IpcMainLike, dialog: DialogLike, isTrustedSender: (event: IpcInvokeEventLike) => boolean): () => void {
  for (const kind of Object.keys(DIALOG_CHANNELS) as (keyof typeof DIALOG_CHANNELS)[]) {
    ipcMain.handle(DIALOG_CHANNELS[kind], async (event): Promise<string | null> => {
      if (typeof isTrustedSender !== 'function' || !isTrustedSender(event)) return null;
      const r = await dialog.showOpenDialog(DIALOG_OPTIONS[kind]);
      return r.canceled ? null : (r.filePaths[0] ?? null);
    });
  }
  return () => {
    for (const channel of Object.values(DIALOG_CHANNELS)) ipcMain.removeHandler(channel);
  };
}


/** The page's side: two functions, each answering a path or null (never Electron objects). */
export function createDesktopBridge(invoke: (channel: string) => Promise<unknown>): DesktopBridge {
  const ask = async (channel: string) => {
    const v = await invoke(channel);
    return typeof v === 'string' && v.length > 0 ? v : null;
  };
  return { chooseFolder: () => ask(DIALOG_CHANNELS.folder), chooseCheckpoint: () => ask(DIALOG_CHANNELS.checkpoint) };
}
