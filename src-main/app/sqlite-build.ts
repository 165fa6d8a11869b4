/**
 * Which better-sqlite3 build the desktop app loads. node_modules holds the Node build (tests,
 * the CLI and serve mode use it); Electron has another ABI and needs its own build. A packaged
 * app gets it from electron-builder (npmRebuild) in place; a source checkout keeps one in
 * native/electron/ (`npm run rebuild:electron-sqlite`), loaded through better-sqlite3's
 * `nativeBinding` option so the Node build stays usable next to it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const ELECTRON_SQLITE_RELATIVE = join('native', 'electron', 'better_sqlite3.node');

export interface SqliteBuild {
  /** The addon file to pass as `nativeBinding`, or null for node_modules' own build. */
  binding: string | null;
  /** One line for the log saying which build was loaded. */
  description: string;
}

export function electronSqliteBuild(packageRoot: string, exists: (path: string) => boolean = existsSync): SqliteBuild {
  const candidate = join(packageRoot, ELECTRON_SQLITE_RELATIVE);
  if (exists(candidate)) return { binding: candidate, description: `better-sqlite3: the Electron build ${candidate}` };
  return {
    binding: null,
    description: `better-sqlite3: the build in node_modules (no ${ELECTRON_SQLITE_RELATIVE}; a packaged app has it rebuilt for Electron there)`,
  };
}
