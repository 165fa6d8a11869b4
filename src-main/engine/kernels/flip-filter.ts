/**
 * flip(W)ᵀ of a conv filter: [kh, kw, in, out] rotated by 180° in (kh, kw) with in/out
 * swapped → [kh, kw, out, in]. The input gradient of a convolution is a convolution with
 * this filter (models/conv-input-gradient.ts), needed for every conv on every step.
 *
 * Why a wasm kernel: tf.reverse + tf.transpose on wasm are generic strided loops, measured
 * at 351 + 58 ms per CIFAR ResNet-18 step for 19 filters (~11 M floats). Here each tap is
 * one blocked [in, out] → [out, in] transpose written straight into the heap (~1 ns per
 * float). Other backends compose tf.reverse and tf.transpose, which are fine there.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { transposeRows } from './row-slices.ts';

const FLIP_FILTER = 'SncaFlipFilterTransposed';

interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

/** dst = flip(src)ᵀ for a [kh, kw, cin, cout] filter in HWIO order, into [kh, kw, cout, cin]. */
export function flipTransposeInto(src: Float32Array, shape: readonly [number, number, number, number], dst: Float32Array): void {
  const [kh, kw, cin, cout] = shape;
  const block = cin * cout;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const from = (i * kw + j) * block;
      const to = ((kh - 1 - i) * kw + (kw - 1 - j)) * block;
      transposeRows(src.subarray(from, from + block), 0, cin, cout, dst.subarray(to, to + block));
    }
  }
}

const flipFilterKernel = ((args: { inputs: { x: TensorInfo }; backend: unknown }) => {
  const x = args.inputs.x;
  if (x.dtype !== 'float32' || x.shape.length !== 4) throw new Error(`${FLIP_FILTER}: expects a float32 [kh, kw, in, out] filter, got ${x.dtype} [${x.shape}]`);
  const [kh, kw, cin, cout] = x.shape as [number, number, number, number];
  const backend = args.backend as WasmHeapBackend;
  const out = backend.makeOutput([kh, kw, cout, cin], 'float32');
  // Views are taken after makeOutput: allocating may grow (and detach) the wasm heap.
  flipTransposeInto(backend.typedArrayFromHeap(x), [kh, kw, cin, cout], backend.typedArrayFromHeap(out));
  return out;
}) as unknown as KernelFunc;

const config: KernelConfig = { kernelName: FLIP_FILTER, backendName: 'wasm', kernelFunc: flipFilterKernel };

/** flip(W)ᵀ: [kh, kw, in, out] → [kh, kw, out, in], taps rotated by 180°. Not differentiable (backward-pass use only). */
export function flipFilterTransposed(filter: tf.Tensor4D): tf.Tensor4D {
  if (filter.dtype === 'float32' && tf.getBackend() === 'wasm') {
    if (!tf.getKernel(FLIP_FILTER, 'wasm')) tf.registerKernel(config);
    return tf.engine().runKernel(FLIP_FILTER, { x: filter }, {}) as tf.Tensor4D;
  }
  return tf.tidy(() => tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]));
}
