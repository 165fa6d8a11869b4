#!/usr/bin/env node
// `npm run test:desktop`: launches the real Electron app (under Xvfb when there is no display)
// and runs test/desktop/smoke.ts against it. Where Electron's binary is not installed (it is
// an optional dependency whose download can fail) or no display can be had, it SKIPS and says
// why, with exit code 0: on such machines only serve mode and the contract tests run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

function skip(reason) {
  console.log(`test:desktop SKIPPED: ${reason}. Only serve mode and the contract tests (npm test) run on this machine.`);
  process.exit(0);
}

let binary;
try {
  binary = require('electron');
} catch (err) {
  skip(err && err.code === 'MODULE_NOT_FOUND' ? 'Electron is not installed (optional dependency skipped)' : `Electron is installed but broken (${String(err).split('\n')[0]})`);
}
if (typeof binary !== 'string' || !existsSync(binary)) skip("Electron's binary is missing (its download failed during npm install)");
if (!existsSync(new URL('../dist/main/electron-main.js', import.meta.url))) skip('dist/ is not built (run npm run build first)');

const smoke = ['--import', 'tsx', '--test', '--test-reporter=spec', 'test/desktop/smoke.ts'];
const env = { ...process.env, SNCA_ELECTRON_BINARY: binary };
delete env.ELECTRON_RUN_AS_NODE;
let command = process.execPath;
let args = smoke;
if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  const xvfb = spawnSync('sh', ['-c', 'command -v xvfb-run'], { encoding: 'utf8' });
  if (xvfb.status !== 0) skip('no display and no xvfb-run (apt-get install xvfb)');
  command = xvfb.stdout.trim();
  args = ['-a', process.execPath, ...smoke];
}
const r = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
process.exit(r.status ?? 1);
