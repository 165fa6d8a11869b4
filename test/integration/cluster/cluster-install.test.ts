/**
 * `snca cluster check NAME --install` against the real one-node cluster: the built app is
 * copied into an empty work folder and `npm ci` installs its runtime packages there, with npm
 * held offline (npm_config_offline) so that it can only take them from the login node's npm
 * cache; then `snca doctor` runs on the compute node as a short job and its backend table is
 * reported; and a run submitted afterwards runs on the installed app, not on this checkout.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../../src-main/cli/program.ts';
import { recordingContext } from '../../fixtures/cli-context.ts';
import type { TempDir } from '../../fixtures/temp-home.ts';
import { call, clusterWorkFolder, openClusterCore, demoConfig, ENDED, whenStatus } from '../../fixtures/cluster/cluster-run-kit.ts';

let tmp: TempDir;
let workDir: string;

before(async () => {
  assert.ok(existsSync('dist/main/cli.js'), 'the install copies the built app: run npm run build first');
  ({ tmp, workDir } = await clusterWorkFolder('snca-cluster-install-', { app: false }));
});

after(() => tmp.cleanup());

test('cluster check --install: npm ci from the npm cache (offline), snca doctor on a compute node, then a run on the installed app', { timeout: 600_000 }, async () => {
  const home = join(tmp.dir, 'home');
  const add = recordingContext({ home });
  assert.equal(await runCli(['cluster', 'add', 'fresh', '--local', '--work-dir', workDir, '--gpus', '0', '--cpus', '1', '--time', '10'], add), 0, add.err());

  const savedOffline = process.env.npm_config_offline;
  process.env.npm_config_offline = 'true';
  const check = recordingContext({ home });
  let code: number;
  try {
    code = await runCli(['cluster', 'check', 'fresh', '--install'], check);
  } finally {
    if (savedOffline === undefined) delete process.env.npm_config_offline;
    else process.env.npm_config_offline = savedOffline;
  }
  assert.equal(code, 0, `${check.out()}\n${check.err()}`);
  const out = check.out();
  for (const step of ['route', 'slurm', 'partition', 'work-folder', 'app', 'compute-node']) assert.match(out, new RegExp(`^ok   ${step} `, 'm'), `${step} passes:\n${out}`);
  assert.match(out, new RegExp(`^ok   app\\s+installed in ${join(workDir, 'app').replace(/[.]/g, '\\.')}, node v\\d+`, 'm'));
  // The doctor table of the compute node, indented under its step.
  assert.match(out, /^ok   compute-node job \d+ ran snca doctor on a compute node:\n\s{18}backend\s+installed\s+loads/m);
  assert.match(out, /^\s{18}wasm\s+yes\s+yes\s+CPU \(wasm/m);
  assert.match(out, /^\s{18}New runs use: /m);

  const appDir = join(workDir, 'app');
  assert.ok(lstatSync(appDir).isDirectory() && !lstatSync(appDir).isSymbolicLink(), 'a real copy, not this checkout');
  for (const f of ['bin/snca.js', 'dist/main/cli.js', 'package-lock.json', 'node_modules/@tensorflow/tfjs-backend-wasm/package.json', 'node_modules/zod/package.json']) {
    assert.ok(existsSync(join(appDir, f)), `${f} installed`);
  }
  assert.ok(!existsSync(join(appDir, 'node_modules/typescript')), 'no dev dependency installed (--omit=dev)');
  // Install scripts are off: no database binding was built, and none is needed on a node (doctor ran above).
  assert.ok(!existsSync(join(appDir, 'node_modules/better-sqlite3/build')), 'better-sqlite3 was not built');

  const t = await openClusterCore(home);
  const core = t.core;
  try {
    const id = (await call(core, 'runs.submit', { config: demoConfig({ epochs: 1 }, 100), cluster: 'fresh' })).runs[0]!.id;
    const ended = await whenStatus(core, id, ENDED, 240_000);
    assert.equal(ended.status, 'completed', ended.error ?? '');
    const detail = (await call(core, 'runs.cluster', { id }))!;
    assert.ok(detail.script?.includes(`${appDir}/bin/snca.js cluster-job`), 'the job ran the installed app');
  } finally {
    await t.dispose();
  }
});
