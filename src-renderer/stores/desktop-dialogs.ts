/**
 * Native file dialogs, and the paths of dropped files, where the page runs in the desktop
 * window (the preload's `sncaDesktop` global); in serve mode they are absent and paths are typed. Components ask through this store.
 */
import { defineStore } from 'pinia';
import { DESKTOP_GLOBAL, type DesktopBridge } from '../../shared/desktop.ts';

/** The bridge when the global has the expected functions; null otherwise (a browser). */
export function desktopBridgeOf(scope: object): DesktopBridge | null {
  const candidate: unknown = (scope as Record<string, unknown>)[DESKTOP_GLOBAL];
  if (candidate === null || typeof candidate !== 'object') return null;
  const b = candidate as Record<string, unknown>;
  if (typeof b.chooseFolder !== 'function' || typeof b.chooseCheckpoint !== 'function' || typeof b.pathOfDroppedFile !== 'function') return null;
  return candidate as DesktopBridge;
}

export const useDesktopDialogsStore = defineStore('desktop-dialogs', () => {
  const bridge = desktopBridgeOf(globalThis);
  return {
    available: bridge !== null,
    chooseFolder: (): Promise<string | null> => (bridge ? bridge.chooseFolder() : Promise.resolve(null)),
    chooseCheckpoint: (): Promise<string | null> => (bridge ? bridge.chooseCheckpoint() : Promise.resolve(null)),
    /** Where a dropped file is on disk (desktop only; a browser never tells). */
    pathOfDroppedFile: (file: File): string | null => (bridge ? bridge.pathOfDroppedFile(file) : null),
  };
});
