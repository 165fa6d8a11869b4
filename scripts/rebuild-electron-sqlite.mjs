#!/usr/bin/env node
// `npm run rebuild:electron-sqlite`: puts a better-sqlite3 build for the installed Electron in
// native/electron/better_sqlite3.node, which the desktop app loads through `nativeBinding`,
// and leaves node_modules' Node build (tests, CLI, serve mode) as it is. It fetches the
// published prebuilt binary for Electron's ABI (prebuild-install, as better-sqlite3's own
// install does), in a copy of the package.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

let electronVersion;
try {
  electronVersion = require('electron/package.json').version;
} catch {
  console.error('rebuild:electron-sqlite: Electron is not installed (npm install electron); nothing to build for.');
  process.exit(1);
}
const pkgDir = dirname(require.resolve('better-sqlite3/package.json'));
const prebuild = join(dirname(require.resolve('prebuild-install/package.json')), 'bin.js');
const work = mkdtempSync(join(tmpdir(), 'snca-sqlite-electron-'));
try {
  const copy = join(work, 'better-sqlite3');
  cpSync(pkgDir, copy, { recursive: true, filter: (p) => !p.includes(`${join('build', 'Release')}`) });
  const r = spawnSync(process.execPath, [prebuild, '--runtime', 'electron', '--target', electronVersion, '--arch', process.arch, '--verbose'], { cwd: copy, stdio: 'inherit' });
  const built = join(copy, 'build', 'Release', 'better_sqlite3.node');
  if (r.status !== 0 || !existsSync(built)) {
    console.error(`rebuild:electron-sqlite: no prebuilt better-sqlite3 for Electron ${electronVersion} (${process.platform}-${process.arch}); build one with "npx @electron/rebuild -f -w better-sqlite3" in a copy of the project and copy its build/Release/better_sqlite3.node to native/electron/.`);
    process.exit(1);
  }
  const target = join(root, 'native', 'electron');
  mkdirSync(target, { recursive: true });
  copyFileSync(built, join(target, 'better_sqlite3.node'));
  console.log(`native/electron/better_sqlite3.node: better-sqlite3 for Electron ${electronVersion}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
