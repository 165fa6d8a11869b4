/** The esbuild part of scripts/build.mjs produces runnable bundles with the shapes Electron and bin/snca.js expect. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from '../../fixtures/temp-home.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

test('build --main-only writes cli, electron-main, a CommonJS preload and the workers; the built CLI runs', () => {
  const build = spawnSync(process.execPath, ['scripts/build.mjs', '--main-only'], { cwd: root, encoding: 'utf8' });
  assert.equal(build.status, 0, build.stderr + build.stdout);
  for (const f of ['cli.js', 'electron-main.js', 'preload.cjs', 'workers/train-worker.js']) {
    assert.ok(existsSync(`${root}dist/main/${f}`), f);
  }
  const preload = readFileSync(`${root}dist/main/preload.cjs`, 'utf8');
  const required = [...preload.matchAll(/require\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
  assert.deepEqual([...new Set(required)], ['electron'], 'a sandboxed preload may only require electron');
  assert.doesNotMatch(preload, /\bimport\s*\{|\bexport\s*\{/, 'CommonJS, not ESM');
  const main = readFileSync(`${root}dist/main/electron-main.js`, 'utf8');
  assert.doesNotMatch(main, /from\s*["']electron["']/, 'electron is loaded at run time only');

  const home = makeTempDir();
  try {
    const run = spawnSync(process.execPath, ['bin/snca.js', 'runs', '--json'], { cwd: root, encoding: 'utf8', env: { ...process.env, SNCA_HOME: home.dir } });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), []);
    assert.ok(existsSync(`${home.dir}/snca.db`));
  } finally {
    home.cleanup();
  }
});
