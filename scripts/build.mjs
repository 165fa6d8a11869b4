#!/usr/bin/env node
// Builds the app:
//   dist/main/cli.js, dist/main/electron-main.js   ESM bundles of our code, npm packages left external
//   dist/main/preload.cjs                          CommonJS (sandboxed preloads must be), everything but electron bundled in
//   dist/main/workers/<name>.js                    one bundle per src-main/workers/*-worker.ts entry
//   dist/renderer/                                 `vite build` of the renderer, when src-renderer/vite.config.ts exists
// Usage: node scripts/build.mjs [--main-only | --renderer-only]
// Runs as `prepare` on npm install, so it must not fail because optional deps (electron, tfjs-node)
// are missing: nothing here imports them.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = new Set(process.argv.slice(2));
const doMain = !args.has('--renderer-only');
const doRenderer = !args.has('--main-only');
const requireHere = createRequire(import.meta.url);
const rel = (p) => path.relative(root, p) || '.';

function seconds(t0) {
  return `${((performance.now() - t0) / 1000).toFixed(1)} s`;
}

async function buildMain() {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    // A production install has no devDependencies; bin/snca.js then runs the sources through tsx.
    console.log('build: esbuild is not installed, skipping dist/main (bin/snca.js will run from source)');
    return true;
  }
  const t0 = performance.now();
  const outdir = path.join(root, 'dist', 'main');
  rmSync(outdir, { recursive: true, force: true });
  const workersDir = path.join(root, 'src-main', 'workers');
  const workers = existsSync(workersDir) ? readdirSync(workersDir).filter((f) => f.endsWith('-worker.ts')).sort() : [];

  const common = {
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'silent',
  };
  const esm = { ...common, format: 'esm', packages: 'external', outdir };
  const builds = [
    {
      what: 'cli + electron-main',
      options: { ...esm, entryPoints: { cli: 'src-main/cli/main.ts', 'electron-main': 'src-main/app/electron-main.ts' } },
    },
    {
      what: `workers (${workers.map((w) => w.replace(/\.ts$/, '')).join(', ') || 'none'})`,
      options: { ...esm, entryPoints: Object.fromEntries(workers.map((w) => [`workers/${w.replace(/\.ts$/, '')}`, `src-main/workers/${w}`])) },
      skip: workers.length === 0,
    },
    {
      what: 'preload',
      options: { ...common, format: 'cjs', minify: true, external: ['electron'], entryPoints: { preload: 'src-main/app/preload.ts' }, outdir, outExtension: { '.js': '.cjs' } },
    },
  ];
  // Every build runs even when one fails, so one report shows all the problems.
  const results = await Promise.all(
    builds.filter((b) => !b.skip).map(async (b) => {
      try {
        const r = await esbuild.build(b.options);
        for (const w of r.warnings) console.warn(`build (${b.what}) warning: ${esbuild.formatMessagesSync([w], { kind: 'warning' }).join('')}`);
        return true;
      } catch (err) {
        const errors = err && typeof err === 'object' && 'errors' in err ? err.errors : null;
        const text = errors ? esbuild.formatMessagesSync(errors, { kind: 'error', color: false }).join('') : String(err);
        console.error(`build (${b.what}) failed:\n${text}`);
        return false;
      }
    }),
  );
  const ok = results.every(Boolean);
  if (ok) console.log(`build: ${rel(outdir)} in ${seconds(t0)}`);
  return ok;
}

function buildRenderer() {
  const config = path.join(root, 'src-renderer', 'vite.config.ts');
  if (!existsSync(config)) {
    console.log('build: no src-renderer/vite.config.ts yet, skipping the renderer');
    return true;
  }
  let viteBin;
  try {
    viteBin = path.join(path.dirname(requireHere.resolve('vite/package.json')), 'bin', 'vite.js');
  } catch {
    console.log('build: vite is not installed, skipping the renderer (serve mode will say the UI is not built)');
    return true;
  }
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [viteBin, 'build', '--config', config, '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build: the renderer build failed (vite exited with ${r.status ?? r.signal})`);
    return false;
  }
  console.log(`build: dist/renderer in ${seconds(t0)}`);
  return true;
}

let ok = true;
if (doMain) ok = (await buildMain()) && ok;
if (doRenderer) ok = buildRenderer() && ok;
process.exit(ok ? 0 : 1);
