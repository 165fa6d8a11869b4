#!/usr/bin/env node
// Runs the test suite with Node's own test runner (its summary lines are what CI reads).
// Node 20's `--test` has no glob support, so the files are collected here.
// Usage: node scripts/run-tests.mjs [dir-or-file ...]   (default: test/unit test/integration test/e2e)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['test/unit', 'test/integration', 'test/e2e'];
const files = [];
function collect(p) {
  let st;
  try { st = statSync(p); } catch { return; }
  if (st.isFile()) { if (/\.test\.ts$/.test(p)) files.push(p); return; }
  for (const name of readdirSync(p).sort()) collect(join(p, name));
}
roots.forEach((r) => collect(resolve(r)));
if (files.length === 0) {
  console.error('run-tests: no test files found under ' + roots.join(', '));
  process.exit(1);
}
const res = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], {
  stdio: 'inherit',
  env: { ...process.env, SNCA_TEST: '1' },
});
process.exit(res.status ?? 1);
