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


/** Extensions of the reference's PyTorch checkpoints (.pth.tar ends in .tar). */
export const TORCH_CHECKPOINT_EXTENSIONS = ['pth', 'tar', 't7', 'pt'] as const;

/** What each dialog shows: folders only, or checkpoints (PyTorch files to import, or ours). */
export const DIALOG_OPTIONS: Record<keyof typeof DIALOG_CHANNELS, OpenDialogOptionsLike> = {
  folder: { title: 'Choose a folder', properties: ['openDirectory', 'dontAddToRecent'] },
  checkpoint: {
    title: 'Choose a checkpoint',
    properties: ['openFile', 'dontAddToRecent'],
    filters: [
      { name: 'Checkpoints', extensions: [...TORCH_CHECKPOINT_EXTENSIONS, 'safetensors'] },
      { name: 'PyTorch checkpoints (.pth, .pth.tar, .tar, .t7)', extensions: [...TORCH_CHECKPOINT_EXTENSIONS] },
      { name: 'SNCA Studio checkpoints (safetensors)', extensions: ['safetensors'] },
    ],
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


/**
 * The page's side: two dialogs, each answering a path or null (never Electron objects), and
 * the path of a file dropped on the page (Electron's webUtils.getPathForFile; '' when it has none).
 */
export function createDesktopBridge(invoke: (channel: string) => Promise<unknown>, pathForFile: (file: object) => string = () => ''): DesktopBridge {
  const ask = async (channel: string) => {
    const v = await invoke(channel);
    return typeof v === 'string' && v.length > 0 ? v : null;
  };
  return {
    chooseFolder: () => ask(DIALOG_CHANNELS.folder),
    chooseCheckpoint: () => ask(DIALOG_CHANNELS.checkpoint),
    pathOfDroppedFile: (file) => {
      try {
        const p = pathForFile(file);
        return typeof p === 'string' && p.length > 0 ? p : null;
      } catch {
        return null; // not a File of this page
      }
    },
  };
}
