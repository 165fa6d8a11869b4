/**
 * What the desktop window's preload adds to the page besides the contract's client: native
 * file dialogs, under one global name. Serve mode has no such global; the page then types paths.
 */
export const DESKTOP_GLOBAL = 'sncaDesktop';

export interface DesktopBridge {
  /** A folder chosen in the native dialog, or null when cancelled. */
  chooseFolder(): Promise<string | null>;
  /** A checkpoint file chosen in the native dialog, or null when cancelled. */
  chooseCheckpoint(): Promise<string | null>;
  /** The path on disk of a File dropped on the page, or null when it has none. */
  pathOfDroppedFile(file: object): string | null;
}
