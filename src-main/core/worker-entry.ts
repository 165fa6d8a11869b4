/**
 * Finds a worker_thread entry: dist/main/workers/<name>.js when running the built bundle,
 * else src-main/workers/<name>.ts run through tsx. (Same signature as the planned
 * src-main/workers/worker-entry.ts of the datasets engineer; one of the two should go.)
 *
 * Why a data: URL shim for sources: on Node 20, `execArgv: ['--import', 'tsx']` does not
 * install tsx's loader inside a worker (the .ts file fails with ERR_UNKNOWN_FILE_EXTENSION);
 * registering tsx from a tiny ES module that then imports the .ts file works.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface WorkerEntry {
  url: URL;
  execArgv: string[];
}

const WORKER_NAME = /^[a-z0-9][a-z0-9-]*$/;

export function resolveWorkerEntry(name: string): WorkerEntry {
  if (!WORKER_NAME.test(name)) throw new Error(`Invalid worker name "${name}"`);
  // Bundled: this code lives in dist/main/<bundle>.js, workers in dist/main/workers/.
  const built = new URL(`./workers/${name}.js`, import.meta.url);
  if (built.protocol === 'file:' && existsSync(fileURLToPath(built))) return { url: built, execArgv: [] };
  // Sources: this file is src-main/core/worker-entry.ts, workers are in src-main/workers/.
  const source = new URL(`../workers/${name}.ts`, import.meta.url);
  if (source.protocol === 'file:' && existsSync(fileURLToPath(source))) return sourceWorkerEntry(source);
  throw new Error(
    `The worker "${name}" was not found (looked for ${fileURLToPath(built)} and ${fileURLToPath(source)}); run npm run build.`,
  );
}

/** A TypeScript worker file run through tsx (tests use this for their fake workers). */
export function sourceWorkerEntry(file: URL): WorkerEntry {
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const shim = `import { register } from ${JSON.stringify(tsxApi)};\nregister();\nawait import(${JSON.stringify(file.href)});\n`;
  return { url: new URL(`data:text/javascript,${encodeURIComponent(shim)}`), execArgv: [] };
}
