/**
 * MaxPoolGrad for the wasm backend, for pools the tiling fast path (layers/pooling.ts) does
 * not cover: the ImageNet ResNet stem's 3×3, stride-2, pad-1 max-pool.
 *
 * Why: tfjs-backend-wasm's MaxPoolGrad is a scalar C loop that re-derives each window's
 * maximum per input position, a noticeable share of an ImageNet ResNet-18 step.
 * Here one pass over the output finds each window's first maximum for all channels at once
 * (NHWC keeps them contiguous) and adds dy there: the gradient PyTorch gives (first maximum
 * in row-major window order wins; padding never does).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { onHeap, runHeapTask } from './heap-helper.ts';
import { maxPool2GradRange } from './heap-tasks.ts';

const KERNEL = 'SncaMaxPoolGrad';

interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

export interface MaxPoolGeometry {
  readonly kernel: number;
  readonly stride: number;
  readonly pad: number;
}

/**
 * dx = dy routed to each window's first maximum of x. Overlapping or padded windows add
 * into dx, which the caller must have zeroed; non-overlapping ones write every position
 * they cover (0 or the gradient), so only positions outside every window (when k does not
 * divide the size) need zeroing first: see needsZeroing.
 */
export function maxPoolGradInto(
  x: Float32Array,
  xShape: readonly [number, number, number, number],
  dy: Float32Array,
  dyShape: readonly [number, number, number, number],
  g: MaxPoolGeometry,
  dx: Float32Array,
  /** The pool's forward output, when at hand: the 2×2 path then runs without branches (heap-tasks.ts). */
  y?: Float32Array,
): void {
  const [b, h, w, c] = xShape;
  const [, oh, ow] = dyShape;
  if (g.kernel === 2 && g.stride === 2 && g.pad === 0 && y) {
    const arrays = {
      x, xOff: 0, y, yOff: 0,
      dyBits: new Int32Array(dy.buffer, dy.byteOffset, dy.length), dyOff: 0,
      dxBits: new Int32Array(dx.buffer, dx.byteOffset, dx.length), dxOff: 0,
    };
    maxPool2GradRange(arrays, [h, w, c, oh, ow], 0, b);
    return;
  }
  if (g.kernel === g.stride && g.pad === 0) {
    nonOverlappingGradInto(x, xShape, dy, dyShape, g.kernel, dx);
    return;
  }
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  for (let n = 0; n < b; n++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        best.fill(-Infinity);
        where.fill(-1);
        for (let ky = 0; ky < g.kernel; ky++) {
          const iy = oy * g.stride + ky - g.pad;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < g.kernel; kx++) {
            const ix = ox * g.stride + kx - g.pad;
            if (ix < 0 || ix >= w) continue;
            const base = ((n * h + iy) * w + ix) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = x[base + ch]!;
              // Strict: the first maximum in window order keeps the gradient. NaN never wins.
              if (v > best[ch]! || where[ch] === -1) {
                best[ch] = v;
                where[ch] = base + ch;
              }
            }
          }
        }
        const o = ((n * oh + oy) * ow + ox) * c;
        for (let ch = 0; ch < c; ch++) {
          const at = where[ch]!;
          if (at >= 0) dx[at] = dx[at]! + dy[o + ch]!;
        }
      }
    }
  }
}

/**
 * Windows that neither overlap nor pad (the MNIST net's 2×2 / 2 pools): each channel's
 * maximum is found in locals, with no per-window arrays; 2×2 unrolled, since the generic
 * tap loops cost more than the compares.
 */
function nonOverlappingGradInto(
  x: Float32Array,
  xShape: readonly [number, number, number, number],
  dy: Float32Array,
  dyShape: readonly [number, number, number, number],
  k: number,
  dx: Float32Array,
): void {
  const [b, h, w, c] = xShape;
  const [, oh, ow] = dyShape;
  const rowStride = w * c;
  for (let n = 0; n < b; n++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const corner = ((n * h + oy * k) * w + ox * k) * c;
        const o = ((n * oh + oy) * ow + ox) * c;
        if (k === 2) {
          // The common 2×2 pool unrolled: the generic tap loops cost more than the compares.
          for (let ch = 0; ch < c; ch++) {
            const a0 = corner + ch;
            const a1 = a0 + c;
            const a2 = a0 + rowStride;
            const a3 = a2 + c;
            let at = a0;
            let best = x[a0]!;
            const v1 = x[a1]!;
            if (v1 > best || best !== best) { best = v1; at = a1; }
            const v2 = x[a2]!;
            if (v2 > best || best !== best) { best = v2; at = a2; }
            const v3 = x[a3]!;
            if (v3 > best || best !== best) { at = a3; }
            dx[a0] = 0;
            dx[a1] = 0;
            dx[a2] = 0;
            dx[a3] = 0;
            dx[at] = dy[o + ch]!;
          }
          continue;
        }
        for (let ch = 0; ch < c; ch++) {
          let at = corner + ch;
          let best = x[at]!;
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) {
              const i = corner + ky * rowStride + kx * c + ch;
              const v = x[i]!;
              dx[i] = 0;
              // Strict: the first maximum in window order keeps the gradient (NaN never wins).
              if (v > best || best !== best) {
                best = v;
                at = i;
              }
            }
          }
          dx[at] = dy[o + ch]!;
        }
      }
    }
  }
}

/** Whether maxPoolGradInto leaves positions of dx unwritten (so dx must start zeroed). */
export function needsZeroing(xShape: readonly [number, number, number, number], g: MaxPoolGeometry): boolean {
  const [, h, w] = xShape;
  return !(g.kernel === g.stride && g.pad === 0 && h % g.kernel === 0 && w % g.kernel === 0);
}

const kernelFunc = ((args: { inputs: { dy: TensorInfo; x: TensorInfo; y?: TensorInfo }; backend: unknown; attrs: unknown }) => {
  const { dy, x, y } = args.inputs;
  const g = args.attrs as unknown as MaxPoolGeometry;
  const backend = args.backend as WasmHeapBackend;
  const out = backend.makeOutput([...x.shape], 'float32');
  // Views after makeOutput: allocating may grow (and detach) the heap.
  const dx = backend.typedArrayFromHeap(out);
  if (needsZeroing(x.shape as [number, number, number, number], g)) dx.fill(0);
  const [b, h, w, c] = x.shape as [number, number, number, number];
  const [, oh, ow] = dy.shape;
  if (y && g.kernel === 2 && g.stride === 2 && g.pad === 0) {
    // The common case, split over two threads when the heap is shared.
    const { heap, offsets } = onHeap(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(y), backend.typedArrayFromHeap(dy), dx);
    runHeapTask(heap, 'maxPool2Grad', [...offsets, h, w, c, oh!, ow!], b, b * h * w * c);
    return out;
  }
  maxPoolGradInto(backend.typedArrayFromHeap(x), x.shape as [number, number, number, number], backend.typedArrayFromHeap(dy),
    dy.shape as [number, number, number, number], g, dx, y ? backend.typedArrayFromHeap(y) : undefined);
  return out;
}) as unknown as KernelFunc;

const config: KernelConfig = { kernelName: KERNEL, backendName: 'wasm', kernelFunc };

/** Whether maxPoolGrad below runs our kernel for this backend (wasm, float32 NHWC). */
export function hasFastMaxPoolGrad(): boolean {
  return tf.getBackend() === 'wasm';
}

/**
 * d(maxPool(x))/dx for a square kernel, stride and symmetric padding, NHWC. `y`, the pool's
 * own output (which the tape saves anyway), makes the 2×2 case branch-free.
 */
export function maxPoolGrad(dy: tf.Tensor4D, x: tf.Tensor4D, g: MaxPoolGeometry, y?: tf.Tensor4D): tf.Tensor4D {
  if (!tf.getKernel(KERNEL, 'wasm')) tf.registerKernel(config);
  if (y && !tf.util.arraysEqual(y.shape, dy.shape)) throw new Error(`maxPoolGrad: output [${y.shape}] and dy [${dy.shape}] differ`);
  const inputs: tf.NamedTensorMap = y ? { dy, x, y } : { dy, x };
  return tf.engine().runKernel(KERNEL, inputs, { ...g } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
