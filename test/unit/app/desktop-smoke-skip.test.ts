/** npm run test:desktop where Electron's binary is absent: it skips, exit 0, and prints why. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { test } from 'node:test';

let electronInstalled = true;
try {
  createRequire(import.meta.url)('electron');
} catch {
  electronInstalled = false;
}

test('test:desktop without Electron skips with its reason and says only serve mode and contract tests run', { skip: electronInstalled ? 'Electron is installed here: npm run test:desktop runs the real app' : false }, () => {
  const r = spawnSync(process.execPath, ['scripts/test-desktop.mjs'], { cwd: new URL('../../../', import.meta.url), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^test:desktop SKIPPED: Electron is not installed \(optional dependency skipped\)\. Only serve mode and the contract tests \(npm test\) run on this machine\.\n$/);
});
