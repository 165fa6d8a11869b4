/**
 * Chooses the TensorFlow.js backend the engine runs on: the native TensorFlow bindings on
 * CUDA, then WebGPU on a hardware adapter (webgpu-device.ts), then native TensorFlow on the
 * CPU, else the WebAssembly backend, else the pure-JS CPU backend. `SNCA_BACKEND` forces
 * one of them; only then does webgpu accept a software adapter (SwiftShader, llvmpipe).
 *
 * Findings that shaped this module (tfjs 4.22, Node 20):
 * - In Node, `@tensorflow/tfjs-backend-wasm` resolves to its CommonJS bundle, whose
 *   Emscripten loader finds the .wasm files next to itself (`__dirname`), so no
 *   `setWasmPaths` is needed when running from node_modules. A bundler that inlines the
 *   package breaks that, so we point `setWasmPaths` at the resolved package directory
 *   whenever the files are there (harmless otherwise).
 * - tfjs cannot start its threaded wasm build under Node (it hard-codes
 *   `WASM_HAS_MULTITHREAD_SUPPORT = false`; forcing it fails on `blob:` worker URLs), so
 *   wasm-threads.ts starts it by hand with one thread per core (`SNCA_WASM_THREADS`
 *   overrides; 1 = the single-threaded build, also the fallback if that start fails).
 */
import { createRequire } from 'node:module';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_NAMES, type BackendName } from '../../shared/domain.ts';
import { registerWasmConv2DBackpropFilter } from './kernels/wasm-conv2d-backprop-filter.ts';
import { registerThreadedWasm, wantedWasmThreads } from './wasm-threads.ts';
import { guardWasmHeap } from './wasm-heap-guard.ts';
import { heapHelperStatus, warmHeapHelper } from './kernels/heap-helper.ts';
import { adapterLabel, probeWebGpuAdapter, registerWebGpuBackend } from './webgpu-device.ts';

export type { BackendName };

// Registering a kernel needs no initialised backend, so do it as soon as the engine is
// loaded: code that calls tf.setBackend('wasm') itself still gets conv2d gradients.
registerWasmConv2DBackpropFilter();

export interface BackendInfo {
  /** The engine's name for the choice (what the user picks and the database stores). */
  name: BackendName;
  /** The tfjs backend name actually active (`tensorflow`, `webgpu`, `wasm`, `cpu`). */
  tfBackend: string;
  /**
   * Human-readable device, e.g. "NVIDIA GeForce RTX 3060", "SwiftShader driver 5.0.0
   * (google swiftshader, software WebGPU)" or "CPU (wasm, SIMD, 1 thread)".
   */
  device: string;
  /** Versions and anything else worth putting in a run's log. */
  detail: string;
}

export class BackendUnavailableError extends Error {
  constructor(
    readonly backend: BackendName,
    reason: string,
  ) {
    super(`Backend "${backend}" is not available: ${reason}`);
    this.name = 'BackendUnavailableError';
  }
}

/** Order tried when nothing is forced: BACKEND_NAMES is declared in it. */
const DEFAULT_ORDER: readonly BackendName[] = BACKEND_NAMES;

const NODE_PACKAGES: Partial<Record<BackendName, string>> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

const requireHere = createRequire(import.meta.url);

let current: BackendInfo | null = null;
/** Serialises selections: tf.setBackend is global state. */
let pending: Promise<unknown> = Promise.resolve();
/** A package that failed to load stays failed for this process (native addons do not retry). */
const loadFailures = new Map<BackendName, string>();
/** Which native flavour registered the `tensorflow` tfjs backend, if any. */
let nativeFlavour: 'tensorflow-gpu' | 'tensorflow' | null = null;

export function isBackendName(value: string): value is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(value);
}

/** Reads `SNCA_BACKEND`; throws on a value that is not a backend name. */
export function forcedBackendFromEnv(env: NodeJS.ProcessEnv = process.env): BackendName | null {
  const raw = env.SNCA_BACKEND?.trim();
  if (!raw) return null;
  if (!isBackendName(raw)) {
    throw new Error(`SNCA_BACKEND="${raw}" is not a backend; use one of ${BACKEND_NAMES.join(', ')}`);
  }
  return raw;
}

/**
 * Activates a backend and returns what it is. `SNCA_BACKEND` wins over `prefer`; a forced
 * backend that cannot start is an error, a preferred one falls back to the default order.
 * Calling it again with the same outcome is cheap and changes nothing.
 */
export async function selectBackend(opts: { prefer?: BackendName } = {}): Promise<BackendInfo> {
  const run = pending.then(() => selectSerially(opts));
  pending = run.catch(() => undefined);
  return run;
}

async function selectSerially(opts: { prefer?: BackendName }): Promise<BackendInfo> {
  const forced = forcedBackendFromEnv();
  if (forced) {
    const info = await activate(forced);
    if (typeof info === 'string') {
      throw new BackendUnavailableError(forced, `${info} (forced by SNCA_BACKEND=${forced})`);
    }
    return info;
  }
  const order = opts.prefer ? [opts.prefer, ...DEFAULT_ORDER.filter((n) => n !== opts.prefer)] : DEFAULT_ORDER;
  const reasons: string[] = [];
  for (const name of order) {
    const info = await activate(name);
    if (typeof info !== 'string') return info;
    reasons.push(`${name}: ${info}`);
  }
  throw new Error(`No TensorFlow.js backend could be started:\n  ${reasons.join('\n  ')}`);
}

/**
 * Activates exactly `name` for a diagnosis (a software WebGPU adapter included), ignoring
 * SNCA_BACKEND; resolves to its info or the reason it cannot start.
 */
export async function activateForDiagnosis(name: BackendName): Promise<BackendInfo | string> {
  const run = pending.then(() => activate(name, true));
  pending = run.catch(() => undefined);
  return run;
}

/** The backend the last successful `selectBackend` activated, if it is still active. */
export function currentBackend(): BackendInfo | null {
  return current && tf.getBackend() === current.tfBackend ? current : null;
}

/**
 * Backends that can be started on this machine, probed by loading their packages
 * (the native ones are loaded for good: a native addon cannot be unloaded). Leaves the
 * active backend as it was.
 */
export async function listAvailableBackends(): Promise<BackendName[]> {
  const run = pending.then(async () => {
    const before = tf.engine().backendName;
    const available: BackendName[] = [];
    for (const name of DEFAULT_ORDER) {
      if ((await probe(name)) === true) available.push(name);
    }
    // Loading a package may make its backend the active one; put the previous one back.
    if (before && tf.engine().backendName !== before) await tf.setBackend(before);
    return available;
  });
  pending = run.catch(() => undefined);
  return run;
}

/** true when `name` can be activated, else the reason it cannot. */
async function probe(name: BackendName): Promise<true | string> {
  if (name === 'cpu') return true;
  if (name === 'webgpu') {
    try {
      const adapter = await probeWebGpuAdapter();
      if (adapter.software && forcedBackendFromEnv() !== 'webgpu') return `only a software adapter: ${adapterLabel(adapter)}`;
      return true;
    } catch (e) {
      return describe(e);
    }
  }
  if (name === 'wasm') {
    try {
      await loadWasmPackage();
      return true;
    } catch (e) {
      return describe(e);
    }
  }
  const loaded = await loadNative(name);
  return loaded;
}

/** Activates `name`; returns the info or the reason it failed. */
async function activate(name: BackendName, allowSoftware = forcedBackendFromEnv() === 'webgpu'): Promise<BackendInfo | string> {
  if (current && current.name === name && tf.getBackend() === current.tfBackend) return current;
  try {
    let tfBackend: string;
    if (name === 'cpu') {
      await import('@tensorflow/tfjs-backend-cpu');
      tfBackend = 'cpu';
    } else if (name === 'wasm') {
      await loadWasmPackage();
      await prepareWasmThreads();
      tfBackend = 'wasm';
    } else if (name === 'webgpu') {
      await registerWebGpuBackend({ allowSoftware });
      tfBackend = 'webgpu';
    } else {
      const loaded = await loadNative(name);
      if (loaded !== true) return loaded;
      tfBackend = 'tensorflow';
    }
    if (!tf.findBackendFactory(tfBackend)) {
      return `the package loaded but registered no "${tfBackend}" backend with this @tensorflow/tfjs-core ` +
        `(${tf.version_core}); it probably brought its own copy of tfjs-core — install matching versions`;
    }
    const ok = await tf.setBackend(tfBackend);
    if (!ok) return `tf.setBackend('${tfBackend}') failed (see the warning above)`;
    await tf.ready();
    if (tfBackend === 'wasm') {
      registerWasmConv2DBackpropFilter();
      guardWasmHeap(tf.backend());
      // Ready before the first step (kernels never wait for it; they run inline until then).
      const heap = (tf.backend() as unknown as { wasm?: { HEAPF32?: Float32Array } }).wasm?.HEAPF32;
      if (heap) await warmHeapHelper(heap);
    }
    current = { name, tfBackend, ...(await describeDevice(name)) };
    return current;
  } catch (e) {
    return describe(e);
  }
}

async function loadNative(name: BackendName): Promise<true | string> {
  const pkg = NODE_PACKAGES[name];
  if (!pkg) return `no native package for ${name}`;
  const failed = loadFailures.get(name);
  if (failed) return failed;
  // Both packages register the same tfjs backend name, so only one can own it per process.
  if (nativeFlavour && nativeFlavour !== name) {
    return `${NODE_PACKAGES[nativeFlavour]} is already loaded in this process`;
  }
  try {
    // A variable specifier keeps TypeScript from requiring the optional package's types.
    const specifier: string = pkg;
    await import(specifier);
    nativeFlavour = name as 'tensorflow-gpu' | 'tensorflow';
    return true;
  } catch (e) {
    const reason = isModuleNotFound(e, pkg) ? `${pkg} is not installed` : `${pkg} failed to load: ${describe(e)}`;
    loadFailures.set(name, reason);
    return reason;
  }
}

let wasmLoad: Promise<void> | null = null;
/** Why the threaded wasm build is not used (null: it is), decided once per thread. */
let wasmThreadsFallback: Promise<string | null> | null = null;

/** Registers the threaded wasm build as `wasm` when more than one thread is wanted and it starts. */
function prepareWasmThreads(): Promise<string | null> {
  wasmThreadsFallback ??= (async () => {
    const threads = wantedWasmThreads();
    if (threads < 2) return process.env.SNCA_WASM_THREADS ? `SNCA_WASM_THREADS=${process.env.SNCA_WASM_THREADS}` : 'one core';
    if (tf.engine().registry['wasm']) return 'the single-threaded build was started first in this thread';
    try {
      await registerThreadedWasm(threads);
      return null;
    } catch (e) {
      return `threaded build failed to start: ${describe(e)}`;
    }
  })();
  return wasmThreadsFallback;
}

function loadWasmPackage(): Promise<void> {
  wasmLoad ??= (async () => {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const dir = wasmBinaryDir();
    // Only before the first initialisation; afterwards tfjs throws.
    if (dir && !tf.engine().registry['wasm']) wasm.setWasmPaths(dir + path.sep);
  })();
  return wasmLoad;
}

function wasmBinaryDir(): string | null {
  try {
    const pkgJson = requireHere.resolve('@tensorflow/tfjs-backend-wasm/package.json');
    const dir = path.join(path.dirname(pkgJson), 'dist');
    return existsSync(path.join(dir, 'tfjs-backend-wasm-simd.wasm')) ? dir : null;
  } catch {
    return null;
  }
}

async function describeDevice(name: BackendName): Promise<{ device: string; detail: string }> {
  const core = `tfjs-core ${tf.version_core}`;
  if (name === 'cpu') return { device: 'CPU (JavaScript)', detail: `${core}, backend cpu` };
  if (name === 'webgpu') {
    const adapter = await registerWebGpuBackend({ allowSoftware: true });
    const mib = (b: number) => `${Math.round(b / 2 ** 20)} MiB`;
    return {
      device: adapterLabel(adapter),
      detail: `${core}, @tensorflow/tfjs-backend-webgpu on Dawn (npm webgpu), largest storage buffer ${mib(adapter.maxStorageBufferBindingSize)}`,
    };
  }
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    let threads = 1;
    try {
      threads = wasm.getThreadsCount();
    } catch {
      // Not initialised yet cannot happen after setBackend; keep the default.
    }
    const device = `CPU (wasm, ${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'})`;
    const fallback = wasmThreadsFallback ? await wasmThreadsFallback : null;
    const build = fallback === null ? 'threaded build' : `single-threaded build (${fallback})`;
    const helper = heapHelperStatus();
    const jsKernels = helper.ready ? 'JS kernels on 2 threads' : `JS kernels on 1 thread${helper.retired ? ` (${helper.retired})` : ''}`;
    return { device, detail: `${core}, tfjs-backend-wasm ${wasm.version_wasm}, ${build}, ${jsKernels}` };
  }
  const versions = tf.engine().backend as unknown as { isUsingGpuDevice?: boolean; isGPUPackage?: boolean };
  if (name === 'tensorflow-gpu') {
    const gpu = versions.isUsingGpuDevice === false ? null : await nvidiaGpuName();
    const device = gpu ?? (versions.isUsingGpuDevice === false ? 'CPU (GPU package found no usable GPU)' : 'GPU (CUDA)');
    return { device, detail: `${core}, @tensorflow/tfjs-node-gpu` };
  }
  return { device: 'CPU (native TensorFlow)', detail: `${core}, @tensorflow/tfjs-node` };
}

/**
 * Best effort: libtensorflow does not expose the device name to JS, nvidia-smi does. A job
 * pinned to one GPU (CUDA_VISIBLE_DEVICES=i with PCI bus order, nvidia-smi's numbering)
 * names that one.
 */
function nvidiaGpuName(): Promise<string | null> {
  const pinned = process.env.CUDA_VISIBLE_DEVICES?.trim() ?? '';
  const only = /^\d+$/.test(pinned) ? [`--id=${pinned}`] : [];
  return new Promise((resolve) => {
    execFile('nvidia-smi', [...only, '--query-gpu=name', '--format=csv,noheader'], { timeout: 3000 }, (err, stdout) => {
      if (err) return resolve(null);
      const names = stdout.split('\n').map((s) => s.trim()).filter(Boolean);
      resolve(names.length ? names.join(', ') : null);
    });
  });
}

function isModuleNotFound(e: unknown, pkg: string): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && describe(e).includes(pkg);
}

function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}
