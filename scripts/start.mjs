#!/usr/bin/env node
// `npm start` (after the build): the desktop window when Electron is installed, otherwise serve
// mode in the browser with ONE line saying why there is no window and where the UI is.
// Arguments after `npm start --` (e.g. --devices 1,3) go to the window or to serve mode.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const requireHere = createRequire(import.meta.url);

/** The Electron binary, or why there is none. In Node, require('electron') returns the binary's path. */
function findElectron() {
  let binary;
  try {
    binary = requireHere('electron');
  } catch (err) {
    if (err && typeof err === 'object' && err.code === 'MODULE_NOT_FOUND') return { reason: 'Electron is not installed (optional dependency skipped)' };
    return { reason: `Electron is installed but broken (${err instanceof Error ? err.message.split('\n')[0] : String(err)})` };
  }
  if (typeof binary !== 'string' || !existsSync(binary)) return { reason: "Electron's binary is missing (its download failed during npm install)" };
  return { binary };
}

/** Runs a child with the terminal, lets it handle Ctrl-C itself, and exits with its code. */
function runChild(command, args, env) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit', env });
  // Ctrl-C reaches the whole process group; the child shuts down gracefully, we wait for it.
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('error', (err) => {
    console.error(`start: could not run ${command}: ${err.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

const found = findElectron();
if (found.binary) {
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE; // set, it would make Electron behave as plain Node
  // The app folder: Electron reads package.json, whose "main" is dist/main/electron-main.js.
  runChild(found.binary, [root, ...process.argv.slice(2)], env);
} else {
  runChild(process.execPath, [fileURLToPath(new URL('../bin/snca.js', import.meta.url)), 'serve', '--reason', found.reason, ...process.argv.slice(2)], process.env);
}
