/**
 * The WebGPU route: Dawn's Node.js bindings (npm `webgpu`, which ships `dawn.node` for
 * linux-x64/arm64, darwin and win32 inside the package) under `@tensorflow/tfjs-backend-webgpu`.
 *
 * How it is wired (tfjs 4.22, Node 20):
 * - The package registers its `webgpu` backend only when `navigator.gpu` exists at import
 *   time, and Node 20 has no `navigator`. We import it first (its kernels register
 *   regardless), then give it `navigator.gpu` from Dawn and register the backend ourselves,
 *   so that we pick the adapter, request its storage-buffer limits, and record its info.
 * - A software or fallback adapter (SwiftShader, llvmpipe) is correct but slow; it is used
 *   only when the caller allows it (SNCA_BACKEND=webgpu), never by default.
 * - Synchronous reads (`dataSync`, `arraySync`) of GPU tensors need OffscreenCanvas, which
 *   Node lacks: the engine reads tensors with `data()` / `array()` on every path.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';

/** What the engine uses of a WebGPU adapter (a subset of GPUAdapter). */
interface GpuAdapterLike {
  readonly info: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean };
  readonly limits: Record<string, number>;
  readonly features: { has(name: string): boolean };
  requestDevice(descriptor: { requiredLimits: Record<string, number>; requiredFeatures: string[] }): Promise<GpuDeviceLike>;
}

interface GpuDeviceLike {
  readonly limits: Record<string, number>;
  readonly lost: Promise<{ message: string }>;
  destroy(): void;
}

interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<GpuAdapterLike | null>;
}

interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

export interface WebGpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** SwiftShader, llvmpipe, lavapipe, WARP or an adapter Dawn marks as fallback. */
  software: boolean;
  /** The device's storage-buffer binding limit in bytes (what one tensor may occupy). */
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

/** Why no adapter is usable, and what to do about it. */
export class WebGpuUnavailableError extends Error {
  constructor(
    readonly reason: string,
    readonly fix: string,
  ) {
    super(`${reason} (${fix})`);
    this.name = 'WebGpuUnavailableError';
  }
}

/** The limits asked for at device creation: the adapter's own, not WebGPU's defaults (128 MiB buffers). */
const REQUESTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeWorkgroupSizeX',
  'maxComputeInvocationsPerWorkgroup',
] as const;

/**
 * Pins the webgpu backend of a thread to one adapter: Dawn's `adapter=` option, the first
 * adapter whose name contains this text (see scheduling/device-pinning.ts).
 */
export const WEBGPU_ADAPTER_ENV = 'SNCA_WEBGPU_ADAPTER';

/** An adapter name no device has: Dawn then lists the ones it has. */
const NO_SUCH_ADAPTER = '\u0001snca-list-adapters';

const SOFTWARE_PATTERN = /swiftshader|llvmpipe|lavapipe|softpipe|software|microsoft basic render|warp/i;

/** Debian's chromium ships SwiftShader's Vulkan driver here; Dawn accepts it (Mesa's lavapipe it refuses). */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export function isSoftwareAdapter(info: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean }): boolean {
  if (info.isFallbackAdapter) return true;
  return SOFTWARE_PATTERN.test(`${info.vendor} ${info.architecture} ${info.device} ${info.description}`);
}

/** "NVIDIA RTX 4090 (nvidia ada, WebGPU)" or "SwiftShader driver 5.0.0 (google swiftshader, software WebGPU)". */
export function adapterLabel(a: WebGpuAdapterInfo): string {
  const name = a.description || a.device || `${a.vendor} ${a.architecture}`.trim() || 'unnamed adapter';
  const what = [a.vendor, a.architecture].filter(Boolean).join(' ');
  return `${name} (${what ? `${what}, ` : ''}${a.software ? 'software WebGPU' : 'WebGPU'})`;
}

const requireHere = createRequire(import.meta.url);
let dawn: Promise<DawnModule> | null = null;
let registered: Promise<WebGpuAdapterInfo> | null = null;
let active: WebGpuAdapterInfo | null = null;

function loadDawn(): Promise<DawnModule> {
  dawn ??= (async () => {
    // A variable specifier keeps TypeScript from requiring the optional package's types.
    const specifier: string = 'webgpu';
    const mod = (await import(specifier)) as Partial<DawnModule> & { default?: Partial<DawnModule> };
    const create = mod.create ?? mod.default?.create;
    const globals = mod.globals ?? mod.default?.globals;
    if (typeof create !== 'function' || !globals) throw new Error('the webgpu package exports no create()/globals');
    return { create, globals };
  })();
  return dawn;
}

/** Whether a package resolves from here (without loading it). */
export function packageInstalled(specifier: string): boolean {
  try {
    requireHere.resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

/** The reason no adapter came back, with the fix for this platform. */
function noAdapterError(): WebGpuUnavailableError {
  const driver = process.platform === 'darwin' ? 'Metal' : process.platform === 'win32' ? 'D3D12/Vulkan' : 'Vulkan';
  let fix = process.platform === 'linux'
    ? 'install the GPU vendor\'s Vulkan driver (and the Vulkan loader, libvulkan1)'
    : 'update the GPU driver';
  if (process.platform === 'linux' && !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
    fix += `; for a slow software adapter (correctness checks only) set VK_ICD_FILENAMES=${SWIFTSHADER_ICD} and SNCA_BACKEND=webgpu`;
  }
  return new WebGpuUnavailableError(`no WebGPU adapter: no ${driver} driver found that Dawn accepts`, fix);
}

/**
 * Loads Dawn and asks for an adapter, without creating a device or touching tfjs. Throws
 * WebGpuUnavailableError with the reason and the fix.
 */
export async function probeWebGpuAdapter(): Promise<WebGpuAdapterInfo> {
  const { adapter } = await requestAdapter();
  return describeAdapter(adapter, adapter.limits);
}

async function requestAdapter(): Promise<{ gpu: GpuLike; adapter: GpuAdapterLike; globals: Record<string, unknown> }> {
  for (const pkg of ['webgpu', '@tensorflow/tfjs-backend-webgpu']) {
    if (!packageInstalled(pkg)) throw new WebGpuUnavailableError(`the optional package ${pkg} is not installed`, 'run npm install (it ships its binaries; no download host is needed)');
  }
  // Dawn's Vulkan loader warns without it and some drivers refuse to start.
  process.env.XDG_RUNTIME_DIR ??= tmpdir();
  let mod: DawnModule;
  try {
    mod = await loadDawn();
  } catch (e) {
    throw new WebGpuUnavailableError(
      `Dawn (webgpu/dawn.node) failed to load on ${process.platform}-${process.arch}: ${e instanceof Error ? e.message : String(e)}`,
      'the webgpu package ships dawn.node for linux-x64, linux-arm64, darwin and win32; reinstall it with npm install');
  }
  const pinned = process.env[WEBGPU_ADAPTER_ENV]?.trim();
  const gpu = mod.create(pinned ? [`adapter=${pinned}`] : []);
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    if (!pinned) throw e;
    throw new WebGpuUnavailableError(
      `the adapter "${pinned}" this job is pinned to (${WEBGPU_ADAPTER_ENV}) was not found: ${e instanceof Error ? e.message : String(e)}`,
      'check the devices with snca doctor and the app\'s device settings (--devices)');
  }
  if (!adapter) throw noAdapterError();
  return { gpu, adapter, globals: mod.globals };
}

/**
 * The adapters Dawn offers on this platform's default backend, in its order, by the name
 * `adapter=` matches. dawn.node has no listing call: asked for an adapter name nothing
 * contains, it rejects with the list (its documented way to enumerate), parsed here.
 */
export async function listWebGpuAdapters(): Promise<{ backend: string; name: string }[]> {
  process.env.XDG_RUNTIME_DIR ??= tmpdir();
  const mod = await loadDawn();
  let message: string;
  try {
    const adapter = await mod.create([`adapter=${NO_SUCH_ADAPTER}`]).requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return [];
    return [{ backend: '', name: adapter.info.device }];
  } catch (e) {
    message = e instanceof Error ? e.message : String(e);
  }
  const out: { backend: string; name: string }[] = [];
  for (const line of message.split('\n')) {
    const m = /^\s*\* backend: '([^']*)', name: '(.*)'\s*$/.exec(line);
    if (m) out.push({ backend: m[1]!, name: m[2]! });
  }
  return out;
}

function describeAdapter(adapter: GpuAdapterLike, limits: Record<string, number>): WebGpuAdapterInfo {
  const i = adapter.info;
  return {
    vendor: i.vendor ?? '',
    architecture: i.architecture ?? '',
    device: i.device ?? '',
    description: i.description ?? '',
    software: isSoftwareAdapter(i),
    maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize ?? 128 * 2 ** 20,
    maxBufferSize: limits.maxBufferSize ?? 256 * 2 ** 20,
  };
}

let adapterRequest: ReturnType<typeof requestAdapter> | null = null;

/**
 * Registers tfjs's `webgpu` backend on Dawn's adapter, once per thread, and resolves to
 * the adapter. With `allowSoftware` false a software adapter is refused with the reason,
 * before any device is created.
 */
export async function registerWebGpuBackend(opts: { allowSoftware: boolean }): Promise<WebGpuAdapterInfo> {
  adapterRequest ??= requestAdapter();
  let found: Awaited<ReturnType<typeof requestAdapter>>;
  try {
    found = await adapterRequest;
  } catch (e) {
    adapterRequest = null;
    throw e;
  }
  const seen = describeAdapter(found.adapter, found.adapter.limits);
  if (seen.software && !opts.allowSoftware) {
    throw new WebGpuUnavailableError(
      `only a software adapter was found (${adapterLabel(seen)}): it is slow and used only when forced`,
      'set SNCA_BACKEND=webgpu to use it anyway (correctness checks), or install the GPU vendor\'s driver');
  }
  registered ??= createBackend(found);
  try {
    active = await registered;
  } catch (e) {
    registered = null;
    throw e;
  }
  return active;
}

async function createBackend({ gpu, adapter, globals }: Awaited<ReturnType<typeof requestAdapter>>): Promise<WebGpuAdapterInfo> {
  // The backend package's kernels register on import; its own backend factory does not
  // (no navigator.gpu yet), which leaves the registration below the only one.
  const specifier: string = '@tensorflow/tfjs-backend-webgpu';
  const pkg = (await import(specifier)) as { WebGPUBackend?: new (device: unknown, info: unknown) => tf.KernelBackend };
  if (typeof pkg.WebGPUBackend !== 'function') throw new Error('@tensorflow/tfjs-backend-webgpu exports no WebGPUBackend');
  for (const [k, v] of Object.entries(globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  installNavigatorGpu(gpu);
  const requiredLimits: Record<string, number> = {};
  for (const name of REQUESTED_LIMITS) if (typeof adapter.limits[name] === 'number') requiredLimits[name] = adapter.limits[name]!;
  const requiredFeatures = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  const Backend = pkg.WebGPUBackend;
  if (!tf.findBackendFactory('webgpu')) tf.registerBackend('webgpu', () => new Backend(device, adapter.info), 0);
  return describeAdapter(adapter, device.limits);
}

/** tfjs-backend-webgpu checks `navigator.gpu`; Node 20 has no navigator, Node 21+ one without gpu. */
function installNavigatorGpu(gpu: GpuLike): void {
  const g = globalThis as unknown as { navigator?: Record<string, unknown> };
  if (!g.navigator) {
    Object.defineProperty(globalThis, 'navigator', {
      value: { gpu, userAgent: `Node.js/${process.version}` },
      configurable: true,
      writable: true,
    });
  } else if (!g.navigator.gpu) {
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  }
}

/** The adapter the `webgpu` backend runs on in this thread, once registered. */
export function activeWebGpuAdapter(): WebGpuAdapterInfo | null {
  return active;
}

/**
 * The most bytes one tensor may occupy on the active backend: the adapter's storage-buffer
 * binding limit on webgpu, unbounded elsewhere (the wasm heap has its own guard).
 */
export function maxTensorBytes(): number {
  return tf.getBackend() === 'webgpu' && active ? Math.min(active.maxStorageBufferBindingSize, active.maxBufferSize) : Infinity;
}
