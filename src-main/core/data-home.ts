/**
 * Where SNCA Studio keeps its data: `SNCA_HOME` when set, else the OS app-data folder.
 * Layout: snca.db, settings.json, runs/<id>/checkpoints/…, models/<id>/ (imported weights and feature bank).
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

export interface DataHomeContext {
  env: Readonly<Record<string, string | undefined>>;
  platform: NodeJS.Platform;
  homedir: string;
}

export function resolveDataHome(
  ctx: DataHomeContext = { env: process.env, platform: process.platform, homedir: homedir() },
): string {
  const p = ctx.platform === 'win32' ? path.win32 : path.posix;
  const explicit = ctx.env.SNCA_HOME?.trim();
  if (explicit) return p.resolve(explicit);
  if (ctx.platform === 'win32') {
    const appData = ctx.env.APPDATA?.trim() || p.join(ctx.homedir, 'AppData', 'Roaming');
    return p.join(appData, 'SNCA Studio');
  }
  if (ctx.platform === 'darwin') return p.join(ctx.homedir, 'Library', 'Application Support', 'SNCA Studio');
  // XDG says a relative XDG_DATA_HOME is invalid and must be ignored.
  const xdg = ctx.env.XDG_DATA_HOME?.trim();
  const base = xdg && p.isAbsolute(xdg) ? xdg : p.join(ctx.homedir, '.local', 'share');
  return p.join(base, 'snca-studio');
}

export interface DataPaths {
  home: string;
  database: string;
  /** App settings kept outside the database (which devices jobs may use). */
  settings: string;
  runsDir: string;
  runDir(runId: string): string;
  checkpointsDir(runId: string): string;
  modelsDir: string;
  modelDir(modelId: string): string;
}

export function dataPaths(home: string): DataPaths {
  const runsDir = path.join(home, 'runs');
  return {
    home,
    database: path.join(home, 'snca.db'),
    settings: path.join(home, 'settings.json'),
    runsDir,
    runDir: (id) => path.join(runsDir, id),
    checkpointsDir: (id) => path.join(runsDir, id, 'checkpoints'),
    modelsDir: path.join(home, 'models'),
    modelDir: (id) => path.join(home, 'models', id),
  };
}

/** Only the owner may enter the data folder: runs, datasets and the database are private. */
export const DATA_HOME_MODE = 0o700;

/**
 * Creates the data folder (and its runs/) readable by the owner only, and tightens a folder
 * an older version left open to other users. POSIX permissions only; Windows keeps its ACLs.
 */
export function prepareDataHome(paths: DataPaths, platform: NodeJS.Platform = process.platform): void {
  mkdirSync(paths.home, { recursive: true, mode: DATA_HOME_MODE });
  mkdirSync(paths.runsDir, { recursive: true, mode: DATA_HOME_MODE });
  if (platform === 'win32') return;
  for (const dir of [paths.home, paths.runsDir]) {
    if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, DATA_HOME_MODE);
  }
}
