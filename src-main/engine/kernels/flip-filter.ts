/**
 * flip(W)ᵀ of a conv filter: [kh, kw, in, out] rotated by 180° in (kh, kw) with in/out
 * swapped → [kh, kw, out, in]. The input gradient of a convolution is a convolution with
 * this filter (models/conv-input-gradient.ts), needed for every conv on every step.
 *
 * Why a wasm kernel: tf.reverse + tf.transpose on wasm are generic strided loops, a large
 * share of a CIFAR ResNet-18 step for its 19 filters (~11 M floats). Here each tap is one
 * blocked [in, out] → [out, in] transpose written straight into the heap. Other backends
 * compose tf.reverse and tf.transpose, which are fine there.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { transposeRows } from './row-slices.ts';

const FLIP_FILTER = 'SncaFlipFilterTransposed';

interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

/**
 * Taps of flip(W)ᵀ to keep: rows start, start + step, … (taps of them) in each spatial axis.
 * A strided conv's input gradient needs one such subset per output phase.
 */
export interface TapSubset {
  readonly startH: number;
  readonly startW: number;
  readonly stepH: number;
  readonly stepW: number;
  readonly tapsH: number;
  readonly tapsW: number;
}

const allTaps = (kh: number, kw: number): TapSubset => ({ startH: 0, startW: 0, stepH: 1, stepW: 1, tapsH: kh, tapsW: kw });

/** dst = flip(src)ᵀ (the `sub` taps of it) for a [kh, kw, cin, cout] filter in HWIO order, into [tapsH, tapsW, cout, cin]. */
export function flipTransposeInto(src: Float32Array, shape: readonly [number, number, number, number], dst: Float32Array, sub: TapSubset = allTaps(shape[0], shape[1])): void {
  const [kh, kw, cin, cout] = shape;
  const block = cin * cout;
  for (let a = 0; a < sub.tapsH; a++) {
    for (let b = 0; b < sub.tapsW; b++) {
      // flip(W)[r] = W[k - 1 - r]
      const i = kh - 1 - (sub.startH + sub.stepH * a);
      const j = kw - 1 - (sub.startW + sub.stepW * b);
      const from = (i * kw + j) * block;
      const to = (a * sub.tapsW + b) * block;
      transposeRows(src.subarray(from, from + block), 0, cin, cout, dst.subarray(to, to + block));
    }
  }
}

const flipFilterKernel = ((args: { inputs: { x: TensorInfo }; backend: unknown; attrs: unknown }) => {
  const x = args.inputs.x;
  if (x.dtype !== 'float32' || x.shape.length !== 4) throw new Error(`${FLIP_FILTER}: expects a float32 [kh, kw, in, out] filter, got ${x.dtype} [${x.shape}]`);
  const [kh, kw, cin, cout] = x.shape as [number, number, number, number];
  const sub = args.attrs as unknown as TapSubset;
  const backend = args.backend as WasmHeapBackend;
  const out = backend.makeOutput([sub.tapsH, sub.tapsW, cout, cin], 'float32');
  // Views are taken after makeOutput: allocating may grow (and detach) the wasm heap.
  flipTransposeInto(backend.typedArrayFromHeap(x), [kh, kw, cin, cout], backend.typedArrayFromHeap(out), sub);
  return out;
}) as unknown as KernelFunc;

const config: KernelConfig = { kernelName: FLIP_FILTER, backendName: 'wasm', kernelFunc: flipFilterKernel };

/**
 * flip(W)ᵀ: [kh, kw, in, out] → [kh, kw, out, in], taps rotated by 180° — or only the `sub`
 * taps of it ([tapsH, tapsW, out, in]). Not differentiable (backward-pass use only).
 */
export function flipFilterTransposed(filter: tf.Tensor4D, sub?: TapSubset): tf.Tensor4D {
  const [kh, kw, cin, cout] = filter.shape;
  const taps = sub ?? allTaps(kh, kw);
  const lastH = taps.startH + taps.stepH * (taps.tapsH - 1);
  const lastW = taps.startW + taps.stepW * (taps.tapsW - 1);
  if (taps.tapsH < 1 || taps.tapsW < 1 || taps.startH < 0 || taps.startW < 0 || lastH >= kh || lastW >= kw) {
    throw new RangeError(`tap subset ${JSON.stringify(taps)} is outside a ${kh}×${kw} filter`);
  }
  if (filter.dtype === 'float32' && tf.getBackend() === 'wasm') {
    if (!tf.getKernel(FLIP_FILTER, 'wasm')) tf.registerKernel(config);
    return tf.engine().runKernel(FLIP_FILTER, { x: filter }, { ...taps } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
  return tf.tidy(() => {
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    if (!sub) return flipped;
    return tf.stridedSlice(flipped, [taps.startH, taps.startW, 0, 0], [lastH + 1, lastW + 1, cout, cin], [taps.stepH, taps.stepW, 1, 1]) as tf.Tensor4D;
  });
}
