/**
 * Row blocks of a large 2-D tensor (the memory bank), plain or transposed, as the chunked
 * NCA loss and kNN need them for every chunk of every step.
 *
 * Why custom wasm kernels: tfjs-backend-wasm implements Slice (and SplitV, Unpack) in JS
 * starting with `readSync` of the whole input, i.e. a full copy of the bank for every
 * slice — 50 chunks of a 100k×128 bank copy 2.5 GB. Its Transpose is a generic strided
 * loop. Here a row block is one `subarray` copy and the transposed block an 8-row unrolled
 * loop, split over two threads when the heap is shared (heap-helper.ts). Other backends
 * use tf.slice and tf.transpose, which are fine there.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { onHeap, runHeapTask } from './heap-helper.ts';
import { transposeRowRange } from './heap-tasks.ts';

const SLICE_ROWS = 'SncaSliceRows';
const SLICE_ROWS_T = 'SncaSliceRowsTransposed';

interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

interface RowBlockAttrs {
  start: number;
  count: number;
}

function rowBlockArgs(args: { inputs: { x: TensorInfo }; backend: unknown; attrs: unknown }) {
  const x = args.inputs.x;
  const { start, count } = args.attrs as RowBlockAttrs;
  if (x.dtype !== 'float32' || x.shape.length !== 2) {
    throw new Error(`${SLICE_ROWS}: expects a float32 matrix, got ${x.dtype} [${x.shape}]`);
  }
  return { x, start, count, cols: x.shape[1]!, backend: args.backend as WasmHeapBackend };
}

const sliceRowsKernel = ((args: { inputs: { x: TensorInfo }; backend: unknown; attrs: unknown }) => {
  const { x, start, count, cols, backend } = rowBlockArgs(args);
  const out = backend.makeOutput([count, cols], 'float32');
  // Views are taken after makeOutput: allocating may grow (and detach) the wasm heap.
  const src = backend.typedArrayFromHeap(x);
  backend.typedArrayFromHeap(out).set(src.subarray(start * cols, (start + count) * cols));
  return out;
}) as unknown as KernelFunc;

const sliceRowsTransposedKernel = ((args: { inputs: { x: TensorInfo }; backend: unknown; attrs: unknown }) => {
  const { x, start, count, cols, backend } = rowBlockArgs(args);
  const out = backend.makeOutput([cols, count], 'float32');
  const src = backend.typedArrayFromHeap(x);
  const { heap, offsets } = onHeap(src, backend.typedArrayFromHeap(out));
  runHeapTask(heap, 'transposeRows', [offsets[0]!, start, count, cols, offsets[1]!], count, count * cols);
  return out;
}) as unknown as KernelFunc;

/** dst[d, j] = src[start + j, d] ([count, cols] rows into a [cols, count] block). */
export function transposeRows(src: Float32Array, start: number, count: number, cols: number, dst: Float32Array): void {
  transposeRowRange(src, 0, start, count, cols, dst, 0, 0, count);
}

const configs: KernelConfig[] = [
  { kernelName: SLICE_ROWS, backendName: 'wasm', kernelFunc: sliceRowsKernel },
  { kernelName: SLICE_ROWS_T, backendName: 'wasm', kernelFunc: sliceRowsTransposedKernel },
];

/** Idempotent. Called by backend selection and lazily by the functions below. */
export function registerWasmRowSliceKernels(): void {
  for (const c of configs) if (!tf.getKernel(c.kernelName, c.backendName)) tf.registerKernel(c);
}

function checkRange(x: tf.Tensor2D, start: number, count: number): void {
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 1 || start + count > x.shape[0]) {
    throw new RangeError(`row block [${start}, ${start + count}) is outside a matrix of ${x.shape[0]} rows`);
  }
}

/** Rows [start, start + count) of x, as a new [count, cols] tensor. */
export function sliceRows(x: tf.Tensor2D, start: number, count: number): tf.Tensor2D {
  checkRange(x, start, count);
  if (x.dtype === 'float32' && tf.getBackend() === 'wasm') {
    registerWasmRowSliceKernels();
    return tf.engine().runKernel(SLICE_ROWS, { x }, { start, count } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
  }
  return tf.slice(x, [start, 0], [count, x.shape[1]]);
}

/** Rows [start, start + count) of x, transposed: a new [cols, count] tensor. */
export function sliceRowsTransposed(x: tf.Tensor2D, start: number, count: number): tf.Tensor2D {
  checkRange(x, start, count);
  if (x.dtype === 'float32' && tf.getBackend() === 'wasm') {
    registerWasmRowSliceKernels();
    return tf.engine().runKernel(SLICE_ROWS_T, { x }, { start, count } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
  }
  return tf.tidy(() => tf.transpose(tf.slice(x, [start, 0], [count, x.shape[1]])));
}
