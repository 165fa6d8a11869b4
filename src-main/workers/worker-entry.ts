/**
 * Where a worker_thread entry point lives: `src-main/workers/<name>.ts` when running from
 * source, `dist/main/workers/<name>.js` once esbuild has built the app. Resolved from this
 * module's own URL, which is the bundle's URL after a build.
 *
 * From source the worker must load TypeScript. Node 20 does not apply `--import tsx` given
 * in a Worker's execArgv before the entry module loads, so the returned URL is a tiny
 * `data:` module that registers tsx's hooks in the new thread and then imports the entry.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ThreadStarter } from '../engine/engine-threads.ts';

export interface WorkerEntry {
  /** What to pass to `new Worker(url, { execArgv })`. */
  url: URL;
  execArgv: string[];
  /** The entry module itself (.js or .ts), for messages. */
  file?: string;
}

export class WorkerEntryError extends Error {
  override readonly name = 'WorkerEntryError';
}

/** A TypeScript worker file run through tsx (also how tests start their fake workers). */
export function sourceWorkerEntry(source: URL): WorkerEntry {
  let api: string;
  try {
    api = import.meta.resolve('tsx/esm/api');
  } catch {
    throw new WorkerEntryError(`${fileURLToPath(source)}: running a TypeScript worker needs the 'tsx' package, which cannot be resolved`);
  }
  const boot = `import { register } from ${JSON.stringify(api)};\nregister();\nawait import(${JSON.stringify(source.href)});\n`;
  return { url: new URL(`data:text/javascript,${encodeURIComponent(boot)}`), execArgv: [], file: fileURLToPath(source) };
}

export function resolveWorkerEntry(name: string): WorkerEntry {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new WorkerEntryError(`Invalid worker name '${name}': use lowercase letters, digits and dashes`);
  const here = import.meta.url;
  const source = new URL(`./${name}.ts`, here);
  // Source first only when this module is itself TypeScript, so a stale build never shadows edits.
  if (here.endsWith('.ts') && existsSync(fileURLToPath(source))) return sourceWorkerEntry(source);
  const built = [`./${name}.js`, `./workers/${name}.js`, `../workers/${name}.js`].map((r) => new URL(r, here));
  for (const url of built) {
    if (existsSync(fileURLToPath(url))) return { url, execArgv: [], file: fileURLToPath(url) };
  }
  if (existsSync(fileURLToPath(source))) return sourceWorkerEntry(source);
  throw new WorkerEntryError(
    `The worker '${name}' was not found (looked for ${[...built, source].map((u) => fileURLToPath(u)).join(', ')}); run npm run build.`,
  );
}

/** How the engine starts its own threads here: each from its entry module in this folder. */
export const startWorkerEntryThread: ThreadStarter = (thread, options) => {
  const entry = resolveWorkerEntry(thread);
  return new Worker(entry.url, { execArgv: entry.execArgv, ...options });
};
