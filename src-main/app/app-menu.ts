/**
 * The application menu: standard edit, view and window items with their usual shortcuts, plus
 * the app's own (open a checkpoint, check a dataset folder, open the data folder). Built as
 * plain data from the actions it is given, so Electron only turns it into a Menu.
 */

export interface MenuItemTemplate {
  label?: string;
  role?: string;
  accelerator?: string;
  type?: 'separator';
  click?: () => void;
  submenu?: MenuItemTemplate[];
}

export interface MenuActions {
  openCheckpoint(): void;
  checkDatasetFolder(): void;
  openDataFolder(): void;
  openPaper(): void;
}

const separator: MenuItemTemplate = { type: 'separator' };

export function appMenuTemplate(platform: NodeJS.Platform, actions: MenuActions): MenuItemTemplate[] {
  const mac = platform === 'darwin';
  const file: MenuItemTemplate = {
    label: 'File',
    submenu: [
      { label: 'Open Checkpoint…', accelerator: 'CmdOrCtrl+O', click: actions.openCheckpoint },
      { label: 'Check Dataset Folder…', accelerator: 'CmdOrCtrl+Shift+O', click: actions.checkDatasetFolder },
      { label: 'Open Data Folder', accelerator: 'CmdOrCtrl+Shift+D', click: actions.openDataFolder },
      separator,
      mac ? { role: 'close', accelerator: 'CmdOrCtrl+W' } : { role: 'quit', accelerator: 'Ctrl+Q' },
    ],
  };
  const edit: MenuItemTemplate = {
    label: 'Edit',
    submenu: [{ role: 'undo' }, { role: 'redo' }, separator, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }],
  };
  const view: MenuItemTemplate = {
    label: 'View',
    submenu: [
      { role: 'resetZoom', accelerator: 'CmdOrCtrl+0' },
      { role: 'zoomIn', accelerator: 'CmdOrCtrl+=' },
      { role: 'zoomOut', accelerator: 'CmdOrCtrl+-' },
      separator,
      { role: 'togglefullscreen', accelerator: mac ? 'Ctrl+Cmd+F' : 'F11' },
    ],
  };
  const windowMenu: MenuItemTemplate = { label: 'Window', submenu: [{ role: 'minimize', accelerator: 'CmdOrCtrl+M' }, ...(mac ? [{ role: 'front' }] : [])] };
  const help: MenuItemTemplate = { label: 'Help', submenu: [{ label: 'Scalable NCA Paper (arXiv)', click: actions.openPaper }] };
  const appMenu: MenuItemTemplate = {
    label: 'SNCA Studio',
    submenu: [{ role: 'about' }, separator, { role: 'hide', accelerator: 'Cmd+H' }, { role: 'hideOthers' }, separator, { role: 'quit', accelerator: 'Cmd+Q' }],
  };
  return mac ? [appMenu, file, edit, view, windowMenu, help] : [file, edit, view, windowMenu, help];
}
