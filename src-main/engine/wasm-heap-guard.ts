/**
 * Makes running out of wasm memory an ordinary, recoverable JS error, and measures how much
 * memory tensors really hold.
 *
 * Why: the wasm module's heap grows on demand up to 4 GB. When a growth fails deep inside
 * the allocator, the threaded build is left with its allocator lock taken and the next
 * allocation spins forever (a CIFAR ResNet-18 step at batch 400 hung the worker instead
 * of failing); the single-threaded build aborts or writes through a null pointer.
 * So, once per module:
 * - the heap is grown to its maximum up front (one large malloc, freed at once: the
 *   pages are reserved, not touched, so resident memory does not grow), after which the
 *   allocator never has to grow memory again and simply returns 0 when it is full;
 * - tfjs's allocations from JS (every tensor) go through a wrapper that turns that 0 into a
 *   WasmHeapExhaustedError before anything is written, with every lock released, so the
 *   error unwinds through tf.tidy and the engine stays usable (tested).
 * The wrapper also counts live and peak bytes of tensor memory: the heap size itself says
 * nothing once it has been grown to the maximum.
 */
import type * as tf from '@tensorflow/tfjs-core';

export class WasmHeapExhaustedError extends Error {
  constructor(readonly requestedBytes: number, readonly liveBytes: number) {
    super(`The WebAssembly heap (4 GB) is exhausted: ${mb(requestedBytes)} more were needed with ${mb(liveBytes)} already held by tensors`);
    this.name = 'WasmHeapExhaustedError';
  }
}

interface WasmModule {
  HEAPU8?: Uint8Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  sncaHeapStats?: HeapStats;
}

export interface HeapStats {
  /** Bytes the tensors hold now. */
  liveBytes: number;
  /** Most bytes they held at once since the last resetPeak (or the start). */
  peakBytes: number;
  /** Bytes the heap was grown to at start-up. */
  reservedBytes: number;
}

const MB = 2 ** 20;
const mb = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`;

function moduleOf(backend: tf.KernelBackend): WasmModule | null {
  const wasm = (backend as unknown as { wasm?: Partial<WasmModule> }).wasm;
  return wasm && typeof wasm._malloc === 'function' && typeof wasm._free === 'function' ? (wasm as WasmModule) : null;
}

/** Installs the guard on a wasm backend (idempotent); returns false for other backends. */
export function guardWasmHeap(backend: tf.KernelBackend): boolean {
  const wasm = moduleOf(backend);
  if (!wasm) return false;
  if (wasm.sncaHeapStats) return true;
  // Largest block the heap can still grow to, in 64 MB steps down from the 4 GB limit.
  // Calls go through the module's properties: Emscripten's first call of an export replaces
  // the property with the raw function, which is what gets wrapped below.
  let reservedBytes = 0;
  for (let size = 4096 * MB - 64 * MB; size >= 256 * MB; size -= 64 * MB) {
    const p = wasm._malloc(size);
    if (p !== 0) {
      wasm._free(p);
      reservedBytes = size;
      break;
    }
  }
  wasm._free(wasm._malloc(16));
  const malloc = wasm._malloc;
  const free = wasm._free;
  // dlmalloc near the 4 GB limit can hand out a block whose end lies past the memory (seen:
  // a 1 GB block at 3.0 GB): such a block counts as exhausted too.
  const heapEnd = wasm.HEAPU8?.length ?? 2 ** 32;
  const stats: HeapStats = { liveBytes: 0, peakBytes: 0, reservedBytes };
  const sizes = new Map<number, number>();
  wasm._malloc = (bytes: number): number => {
    const p = malloc(bytes) >>> 0;
    if (bytes > 0 && (p === 0 || p + bytes > heapEnd)) {
      if (p !== 0) free(p);
      throw new WasmHeapExhaustedError(bytes, stats.liveBytes);
    }
    sizes.set(p, bytes);
    stats.liveBytes += bytes;
    if (stats.liveBytes > stats.peakBytes) stats.peakBytes = stats.liveBytes;
    return p;
  };
  wasm._free = (p: number): void => {
    const bytes = sizes.get(p);
    if (bytes !== undefined) {
      sizes.delete(p);
      stats.liveBytes -= bytes;
    }
    free(p);
  };
  wasm.sncaHeapStats = stats;
  const probe = wasm._malloc(16);
  wasm._free(probe);
  if (stats.peakBytes !== 16 || stats.liveBytes !== 0) throw new Error('the wasm allocator could not be wrapped (tfjs-backend-wasm changed?)');
  stats.peakBytes = 0;
  return true;
}

/** Tensor memory of a guarded wasm backend (null for other backends). */
export function wasmHeapStats(backend: tf.KernelBackend): HeapStats | null {
  return moduleOf(backend)?.sncaHeapStats ?? null;
}

/** Starts a new peak measurement from the current live bytes. */
export function resetWasmHeapPeak(backend: tf.KernelBackend): void {
  const stats = wasmHeapStats(backend);
  if (stats) stats.peakBytes = stats.liveBytes;
}
