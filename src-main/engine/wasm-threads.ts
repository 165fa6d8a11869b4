/**
 * The multi-threaded SIMD build of tfjs-backend-wasm, started under Node, registered as the
 * `wasm` backend: XNNPACK's matmul and conv kernels then use every core, with results
 * bit-identical to the single-threaded build (README, benchmarks).
 *
 * Why by hand: tfjs's own init() hard-codes WASM_HAS_MULTITHREAD_SUPPORT = false under Node,
 * and forcing it fails: it hands Emscripten a `blob:` URL for the pthread worker and a Blob
 * of its bundled factory as the main script, which Node's worker_threads cannot load (and the
 * bundled factory refers to names that exist only inside tfjs's bundle). Instead:
 * - the standalone Emscripten factory shipped in wasm-out/ is the main script, by file path;
 * - the pthread worker script, shipped only as a string, is written once to a
 *   content-addressed file in the temp folder;
 * - the C++ side caps its pool at emscripten_num_logical_cores()/2 (1 on 2 cores), a value
 *   read once at start-up, so that wasm import is answered with 2 × the wanted threads;
 * - Emscripten ref()s each worker running a pthread, which would keep the process alive
 *   forever; they are unref()'d, and the idle pre-spawned ones (pool of 8) terminated.
 * The module is wrapped in the package's exported BackendWasm class and registered under the
 * name `wasm`, so every registered wasm kernel (tfjs's and ours) applies unchanged.
 *
 * This relies on internals of tfjs-backend-wasm 4.22 (BackendWasm's constructor contract,
 * module.PThread, the import's name); every step is checked, and any failure makes the
 * caller fall back to the single-threaded build with the reason in the run log.
 */
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';

const requireHere = createRequire(import.meta.url);

const START_TIMEOUT_MS = 30_000;

/** The most threads XNNPACK's pool gets here (Emscripten's PTHREAD_POOL_SIZE). */
export const MAX_WASM_THREADS = 8;

interface NodeWorkerLike {
  unref(): void;
  terminate(): unknown;
}

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  PThread: { runningWorkers: NodeWorkerLike[]; unusedWorkers: NodeWorkerLike[]; terminateAllThreads(): void };
  tfjs?: Record<string, unknown>;
}

type Factory = (config: Record<string, unknown>) => Promise<EmscriptenModule>;

interface WasmPackage {
  BackendWasm: new (module: EmscriptenModule) => tf.KernelBackend;
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

interface InstantiateInfo {
  env: Record<string, unknown>;
}

/** The part of the WebAssembly JS API used here (Node's typings do not declare it). */
interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: object): Promise<object>;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Threads wanted: SNCA_WASM_THREADS if set (1 = the single-threaded build), else the cores, at most 8. */
export function wantedWasmThreads(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SNCA_WASM_THREADS?.trim();
  if (raw) {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`SNCA_WASM_THREADS="${raw}" must be a whole number of threads, 1 or more`);
    return Math.min(n, MAX_WASM_THREADS);
  }
  return Math.max(1, Math.min(os.availableParallelism(), MAX_WASM_THREADS));
}

function workerScriptFile(pkgDir: string): string {
  const { wasmWorkerContents } = requireHere(path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  if (typeof wasmWorkerContents !== 'string') throw new Error('tfjs-backend-wasm ships no pthread worker script');
  // The same escaping tfjs applies before turning it into a Blob.
  const source = wasmWorkerContents.replace(/\n/g, '\\n');
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const file = path.join(os.tmpdir(), `snca-tfjs-wasm-threaded-simd.${hash}.worker.cjs`);
  if (!existsSync(file)) {
    // Atomic: several processes and worker threads may start at once.
    const tmp = `${file}.${process.pid}.${threadId}.tmp`;
    writeFileSync(tmp, source);
    renameSync(tmp, file);
  }
  return file;
}

/**
 * Starts the threaded build with `threads` threads and registers it as the `wasm` backend
 * (replacing the registration of the single-threaded one, which must not have been started).
 * Returns the thread count XNNPACK reports.
 */
export async function registerThreadedWasm(threads: number): Promise<number> {
  if (!Number.isInteger(threads) || threads < 2) throw new Error(`the threaded wasm build needs 2 or more threads, got ${threads}`);
  const wasmPkg = (await import('@tensorflow/tfjs-backend-wasm')) as unknown as WasmPackage;
  if (tf.engine().registry['wasm']) throw new Error('the single-threaded wasm backend is already running in this thread');
  const pkgDir = path.dirname(requireHere.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const mainScript = path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const wasmFile = path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.wasm');
  if (!existsSync(mainScript) || !existsSync(wasmFile)) throw new Error(`tfjs-backend-wasm has no threaded build in ${path.join(pkgDir, 'wasm-out')}`);
  const workerFile = workerScriptFile(pkgDir);
  const factory = requireHere(mainScript) as Factory;
  const wasmBytes = readFileSync(wasmFile);

  let failStart: (e: unknown) => void = () => undefined;
  const startFailed = new Promise<never>((_, reject) => {
    failStart = reject;
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the threaded wasm build did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    timer.unref();
  });
  const starting = factory({
    locateFile: (p: string, prefix: string) => (p.endsWith('.worker.js') ? workerFile : p.endsWith('.wasm') ? wasmFile : prefix + p),
    // A path, not a Blob: each pthread worker loads it with fs.
    mainScriptUrlOrBlob: mainScript,
    instantiateWasm(info: InstantiateInfo, receive: (instance: object, module: object) => void) {
      if (typeof info.env.emscripten_num_logical_cores !== 'function') {
        throw new Error('the threaded wasm build has no emscripten_num_logical_cores import (tfjs-backend-wasm changed?)');
      }
      info.env.emscripten_num_logical_cores = () => 2 * threads;
      wasmApi.compile(wasmBytes).then((m) => wasmApi.instantiate(m, info).then((i) => receive(i, m))).catch(failStart);
      return {};
    },
    onAbort: (what: unknown) => failStart(new Error(`the threaded wasm build aborted: ${String(what)}`)),
  });
  let module: EmscriptenModule;
  try {
    module = await Promise.race([starting, startFailed, timedOut]);
  } finally {
    clearTimeout(timer);
  }
  if (!module.PThread || typeof module.cwrap !== 'function') throw new Error('the threaded wasm module has no pthread pool');
  // The same bindings tfjs's init() attaches.
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  // BackendWasm's constructor reads the package's thread count and starts the pool.
  wasmPkg.setThreadsCount(threads);
  const backend = new wasmPkg.BackendWasm(module);
  const unrefAll = (): void => {
    for (const w of module.PThread.runningWorkers) w.unref();
    for (const w of module.PThread.unusedWorkers) w.unref();
  };
  unrefAll();
  // Pthreads start once their worker reports "loaded": unref again after that turn.
  await new Promise((r) => setTimeout(r, 0));
  unrefAll();
  for (const w of module.PThread.unusedWorkers.splice(0)) void w.terminate();

  // removeBackend, never findBackend: that would start the single-threaded build.
  if (tf.engine().registryFactory['wasm']) tf.removeBackend('wasm');
  tf.registerBackend('wasm', () => backend, 2);
  return wasmPkg.getThreadsCount();
}
