/**
 * `Conv2DBackpropFilter` for the wasm backend, which ships without one (so `tf.grad` of a
 * conv2d throws there). A transposed im2col followed by XNNPACK matmuls:
 *
 *   colsT[(kh, kw, ci), p] = x[b, oh·s + kh − top, ow·s + kw − left, ci]   (0 outside)
 *   dW[(kh, kw, ci), co]   = Σ_chunks colsT @ dy[p, co]                     (p = (b, oh, ow))
 *
 * Why this shape (tfjs-backend-wasm 4.22):
 * - wasm's BatchMatMul reaches XNNPACK speed only without transpose flags (with
 *   transposeA/B it runs a naive loop), so the sum over p must be the inner
 *   dimension of the left operand: the column matrix is built transposed, and dW then
 *   comes out in HWIO order with no further transpose.
 * - The column matrix is written by a JS loop straight into the wasm heap. Composing it
 *   from tfjs ops is far slower: wasm's Slice/StridedSlice copy the whole input
 *   (`readSync`) for every tap, and its Transpose is a generic strided loop.
 * - wasm's own Conv3DBackpropFilterV2 (usable with depth 1) is a scalar loop.
 * - Batches are processed in chunks so the column matrix stays ≤ COLS_BUDGET floats.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backend_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { onHeap, runHeapTask } from './heap-helper.ts';
import { sliceRows, sliceRowsTransposed } from './row-slices.ts';

export const KERNEL_NAME = 'Conv2DBackpropFilter';

/**
 * Largest column matrix built at once (floats): 8 MB. Smaller chunks are consumed by the
 * product while still in cache (README, engine measurements).
 */
const COLS_BUDGET = 2 * 1024 * 1024;

export class UnsupportedConvolutionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedConvolutionError';
  }
}

export interface BackpropFilterParams {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: [number, number] | number;
}

/** Geometry of the convolution; throws UnsupportedConvolutionError for what we do not do. */
export function backpropFilterInfo(
  xShape: readonly number[],
  filterShape: [number, number, number, number],
  params: BackpropFilterParams,
): backend_util.Conv2DInfo {
  const dataFormat = params.dataFormat ?? 'NHWC';
  if (dataFormat !== 'NHWC') {
    throw new UnsupportedConvolutionError(
      `Conv2DBackpropFilter on wasm supports dataFormat NHWC only, got ${dataFormat}; transpose the input to NHWC`);
  }
  const dil = params.dilations ?? 1;
  const [dh, dw] = typeof dil === 'number' ? [dil, dil] : dil;
  if (dh !== 1 || dw !== 1) {
    throw new UnsupportedConvolutionError(`Conv2DBackpropFilter on wasm supports dilations 1 only, got [${dh}, ${dw}]`);
  }
  if (xShape.length !== 4) {
    throw new UnsupportedConvolutionError(`Conv2DBackpropFilter expects a 4-D NHWC input, got shape [${xShape}]`);
  }
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape, params.strides, 1, params.pad, params.dimRoundingMode,
    false, 'channelsLast');
}

/** Rows shorter than this are copied by a loop: for them a subarray + set call costs more than the copy. */
const SET_MIN_RUN = 64;

/** A float range of the wasm heap: the heap and the offset of the range in it. */
interface HeapRange {
  heap: Float32Array;
  off: number;
}

/**
 * Fills colsT [kh·kw·ci, images·oh·ow] for images [b0, b0 + images) of x (NHWC), using
 * xt (images·h·w·ci floats) as scratch. The images are first transposed to [ci, b, h, w]
 * (8-row unrolled), so every row of colsT is then a sequential, stride-s copy of input
 * rows. Writing colsT straight from NHWC scatters each pixel's ci values over ci rows,
 * which is many times slower once ci ≥ 32. All three live on the heap; the
 * transpose and the stride-1 fill are split over two threads when it is shared.
 */
export function fillColumnsT(x: HeapRange, info: backend_util.Conv2DInfo, b0: number, images: number, colsT: HeapRange, xt: HeapRange): void {
  const { inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const pixels = images * h * w;
  const heap = x.heap;
  runHeapTask(heap, 'transposeRows', [x.off, b0 * h * w, pixels, ci, xt.off], pixels, pixels * ci);
  if (sh === 1 && sw === 1 && ow === w) {
    runHeapTask(heap, 'fillRowContiguous', [xt.off, colsT.off, images, h, w, ci, oh, ow, kh, kw, top, left], ci, kh * kw * ci * images * oh * ow);
    return;
  }
  fillStridedColumnsT(heap.subarray(xt.off, xt.off + pixels * ci), info, images, heap.subarray(colsT.off, colsT.off + kh * kw * ci * images * oh * ow));
}

/** The general case of fillColumnsT (strided, or narrower output), from the transposed images. */
function fillStridedColumnsT(xt: Float32Array, info: backend_util.Conv2DInfo, images: number, colsT: Float32Array): void {
  const { inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const pc = images * oh * ow;
  const pixels = images * h * w;
  // Entries that fall on the padding stay 0; without padding every entry is written.
  const padded = top > 0 || left > 0 || (oh - 1) * sh + kh - top > h || (ow - 1) * sw + kw - left > w;
  if (padded) colsT.fill(0);
  for (let j = 0; j < kw; j++) {
    // Output columns whose input column xo·sw + j − left lies inside the image.
    const xoLo = Math.max(0, Math.ceil((left - j) / sw));
    const xoHi = Math.min(ow, Math.floor((w - 1 - j + left) / sw) + 1);
    if (xoHi <= xoLo) continue;
    for (let i = 0; i < kh; i++) {
      for (let c = 0; c < ci; c++) {
        const row = ((i * kw + j) * ci + c) * pc;
        const plane = c * pixels;
        for (let b = 0; b < images; b++) {
          for (let y = 0; y < oh; y++) {
            const iy = y * sh + i - top;
            if (iy < 0 || iy >= h) continue;
            const src = plane + (b * h + iy) * w + j - left;
            const dst = row + (b * oh + y) * ow;
            if (sw === 1 && xoHi - xoLo >= SET_MIN_RUN) {
              colsT.set(xt.subarray(src + xoLo, src + xoHi), dst + xoLo);
            } else if (sw === 1) {
              for (let xo = xoLo; xo < xoHi; xo++) colsT[dst + xo] = xt[src + xo]!;
            } else {
              for (let xo = xoLo; xo < xoHi; xo++) colsT[dst + xo] = xt[src + xo * sw]!;
            }
          }
        }
      }
    }
  }
}

/**
 * Fills cols [images·oh·ow, kh·kw·ci] (plain im2col, heap-tasks.ts) for images
 * [b0, b0 + images) of x. Used when kh·kw·ci < out channels (a network's first conv:
 * ci = 1 or 3), where dW = (dyᵀ · cols)ᵀ is cheaper than colsT · dy: XNNPACK packs the
 * right-hand operand on every call, and here that is the narrow cols instead of dy.
 */
export function fillColumns(x: HeapRange, info: backend_util.Conv2DInfo, b0: number, images: number, cols: HeapRange): void {
  const { inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const floats = images * oh * ow * kh * kw * ci;
  runHeapTask(x.heap, 'fillColumns', [x.off, cols.off, b0, h, w, ci, oh, ow, kh, kw, sh, sw, info.padInfo.top, info.padInfo.left], images, floats);
}

interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
  incRef(dataId: object): void;
}

function asTensor<R extends tf.Rank>(info: TensorInfo): tf.Tensor<R> {
  return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor<R>;
}

const kernelFunc = ((args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: unknown; attrs: Record<string, unknown> }) => {
  const backend = args.backend as WasmHeapBackend;
  const { x, dy } = args.inputs;
  const params = args.attrs as unknown as BackpropFilterParams & {
    filterShape: [number, number, number, number];
    /** Not a tfjs attribute: lets tests force several batch chunks. */
    columnsBudget?: number;
  };
  const info = backpropFilterInfo(x.shape, params.filterShape, params);
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new UnsupportedConvolutionError(`Conv2DBackpropFilter on wasm supports float32 only, got ${x.dtype}/${dy.dtype}`);
  }
  const { batchSize, outHeight, outWidth, outChannels } = info;
  const rowsK = info.filterHeight * info.filterWidth * info.inChannels;
  const perImage = outHeight * outWidth;
  const budget = params.columnsBudget ?? COLS_BUDGET;
  const imagesPerChunk = Math.max(1, Math.min(batchSize, Math.floor(budget / (rowsK * perImage))));
  // The engine hands us TensorInfos; wrap dy as a tensor without taking its reference.
  backend.incRef(dy.dataId);
  const dyTensor = asTensor<tf.Rank.R4>(dy);
  let total: tf.Tensor2D | null = null;
  try {
    const dy2d = tf.reshape(dyTensor, [batchSize * perImage, outChannels]) as tf.Tensor2D;
    try {
      for (let b0 = 0; b0 < batchSize; b0 += imagesPerChunk) {
        const images = Math.min(imagesPerChunk, batchSize - b0);
        const pc = images * perImage;
        const narrow = rowsK < outChannels;
        const colsInfo = backend.makeOutput(narrow ? [pc, rowsK] : [rowsK, pc], 'float32');
        const cols = asTensor<tf.Rank.R2>(colsInfo);
        // Scratch for the transposed images (fillColumnsT), on the heap so both threads reach it.
        const xtInfo = narrow ? null : backend.makeOutput([images * info.inHeight * info.inWidth * info.inChannels], 'float32');
        const xt = xtInfo ? asTensor<tf.Rank.R1>(xtInfo) : null;
        let part: tf.Tensor2D;
        try {
          // Views after makeOutput: allocating may grow (and detach) the wasm heap.
          const views = [x, colsInfo, ...(xtInfo ? [xtInfo] : [])].map((t) => backend.typedArrayFromHeap(t));
          const { heap, offsets } = onHeap(...views);
          const [xOff, colsOff, xtOff] = offsets as [number, number, number | undefined];
          if (narrow) {
            fillColumns({ heap, off: xOff }, info, b0, images, { heap, off: colsOff });
            // [out, rowsK]; transposed once at the end (it is tiny).
            part = tf.tidy(() => tf.matMul(sliceRowsTransposed(dy2d, b0 * perImage, pc), cols) as tf.Tensor2D);
          } else {
            fillColumnsT({ heap, off: xOff }, info, b0, images, { heap, off: colsOff }, { heap, off: xtOff! });
            part = tf.tidy(() => {
              const dyPart = images === batchSize ? dy2d : sliceRows(dy2d, b0 * perImage, pc);
              return tf.matMul(cols, dyPart) as tf.Tensor2D;
            });
          }
        } finally {
          cols.dispose();
          xt?.dispose();
        }
        if (total) {
          const sum: tf.Tensor2D = tf.add(total, part);
          total.dispose();
          part.dispose();
          total = sum;
        } else {
          total = part;
        }
      }
    } finally {
      dy2d.dispose();
    }
    const filter2d = rowsK < outChannels ? tf.transpose(total!) : total!;
    const out = tf.reshape(filter2d, params.filterShape);
    if (filter2d !== total) filter2d.dispose();
    total!.dispose();
    backend.incRef(out.dataId);
    const result: TensorInfo = { dataId: out.dataId, shape: out.shape, dtype: out.dtype };
    out.dispose();
    return result;
  } catch (e) {
    total?.dispose();
    throw e;
  } finally {
    dyTensor.dispose();
  }
}) as unknown as KernelFunc;

export const wasmConv2DBackpropFilterConfig: KernelConfig = {
  kernelName: KERNEL_NAME,
  backendName: 'wasm',
  kernelFunc,
};

/** Idempotent; a kernel registered by someone else for wasm is left in place. */
export function registerWasmConv2DBackpropFilter(): void {
  if (tf.getKernel(KERNEL_NAME, 'wasm')) return;
  tf.registerKernel(wasmConv2DBackpropFilterConfig);
}
