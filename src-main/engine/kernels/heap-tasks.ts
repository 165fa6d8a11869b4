/**
 * The JS loops our wasm kernels run over the wasm heap, written as ranges of an outer index
 * so that heap-helper.ts can split one call between the calling thread and a helper thread
 * (the heap of the threaded wasm build is a SharedArrayBuffer). Every task:
 * - reads and writes only the heap, addressed by float offsets (view.byteOffset / 4);
 * - writes, for a range [begin, end), only elements no other range writes, and the same
 *   values whichever thread runs it, so a range may be run twice without harm;
 * - imports nothing, so the helper thread loads this module alone.
 * Arguments travel as a Float64Array and are read back with `| 0`: offsets are below 2^30
 * (a 4 GiB heap) and V8 indexes far faster with int32 than with double arithmetic.
 */

export type HeapTask = (heap: Float32Array, a: Float64Array, begin: number, end: number) => void;

/** The arguments as int32 values (ToInt32, as `| 0`), for destructuring. */
function ints(a: ArrayLike<number>): number[] {
  return Array.from(a, (v) => v | 0);
}

/**
 * dst[dstOff + d·count + j] = src[srcOff + (start + j)·cols + d] for source rows j in
 * [begin, end) of a block of `count` rows. Eight rows at a time: the reads stay in eight
 * cache lines and every write run is eight floats long.
 */
export function transposeRowRange(
  src: Float32Array, srcOff: number, start: number, count: number, cols: number,
  dst: Float32Array, dstOff: number, begin: number, end: number,
): void {
  const stop8 = begin + ((end - begin) - ((end - begin) % 8));
  for (let j0 = begin; j0 < stop8; j0 += 8) {
    const r = srcOff + (start + j0) * cols;
    for (let d = 0; d < cols; d++) {
      const o = dstOff + d * count + j0;
      const s = r + d;
      dst[o] = src[s]!;
      dst[o + 1] = src[s + cols]!;
      dst[o + 2] = src[s + 2 * cols]!;
      dst[o + 3] = src[s + 3 * cols]!;
      dst[o + 4] = src[s + 4 * cols]!;
      dst[o + 5] = src[s + 5 * cols]!;
      dst[o + 6] = src[s + 6 * cols]!;
      dst[o + 7] = src[s + 7 * cols]!;
    }
  }
  for (let j = stop8; j < end; j++) {
    const r = srcOff + (start + j) * cols;
    for (let d = 0; d < cols; d++) dst[dstOff + d * count + j] = src[r + d]!;
  }
}

/** transposeRowRange within the heap. a = [srcOff, start, count, cols, dstOff]; range over j. */
export const transposeRowsTask: HeapTask = (h, a, begin, end) =>
  transposeRowRange(h, a[0]! | 0, a[1]! | 0, a[2]! | 0, a[3]! | 0, h, a[4]! | 0, begin, end);

/**
 * Gradient of a 2×2 / 2 max-pool given its forward output y, for images [begin, end): the
 * winner of a window is its first element equal to y, found with comparisons turned into
 * 0/1 integers and the gradient's bits masked in, so there is no branch to mispredict
 * (with running-maximum compares the branches are random for random-signed activations).
 * Bit-identical to the
 * first-maximum rule (an exact max is one of the window's values); a window holding a NaN,
 * which equals nothing, sends its gradient to its last element. Every dx element inside a
 * window is written.
 */
export interface Pool2Arrays {
  x: Float32Array;
  xOff: number;
  y: Float32Array;
  yOff: number;
  /** dy and dx as Int32 views (the gradient's bits are masked in). */
  dyBits: Int32Array;
  dyOff: number;
  dxBits: Int32Array;
  dxOff: number;
}

/** a = [h, w, c, oh, ow]; the range is over images. */
export function maxPool2GradRange(t: Pool2Arrays, a: ArrayLike<number>, begin: number, end: number): void {
  const { x, y, dyBits, dxBits, xOff, yOff, dyOff, dxOff } = t;
  const [h, w, c, oh, ow] = ints(a);
  const rowStride = w * c;
  for (let n = begin; n < end; n++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const corner = ((n * h + oy * 2) * w + ox * 2) * c;
        const o = ((n * oh + oy) * ow + ox) * c;
        for (let ch = 0; ch < c; ch++) {
          const a0 = corner + ch;
          const a1 = a0 + c;
          const a2 = a0 + rowStride;
          const a3 = a2 + c;
          const m = y[yOff + o + ch]!;
          const g = dyBits[dyOff + o + ch]!;
          const e0 = +(x[xOff + a0] === m);
          const e1 = +(x[xOff + a1] === m) & (e0 ^ 1);
          const e2 = +(x[xOff + a2] === m) & ((e0 | e1) ^ 1);
          const e3 = (e0 | e1 | e2) ^ 1;
          dxBits[dxOff + a0] = g & -e0;
          dxBits[dxOff + a1] = g & -e1;
          dxBits[dxOff + a2] = g & -e2;
          dxBits[dxOff + a3] = g & -e3;
        }
      }
    }
  }
}

/** maxPool2GradRange within the heap. a = [xOff, yOff, dyOff, dxOff, h, w, c, oh, ow]. */
export const maxPool2GradTask: HeapTask = (hp, a, begin, end) => {
  const bits = new Int32Array(hp.buffer, hp.byteOffset, hp.length);
  const arrays = { x: hp, xOff: a[0]! | 0, y: hp, yOff: a[1]! | 0, dyBits: bits, dyOff: a[2]! | 0, dxBits: bits, dxOff: a[3]! | 0 };
  maxPool2GradRange(arrays, a.subarray(4), begin, end);
};

/**
 * The transposed column matrix of a stride-1 convolution whose output is as wide as its
 * input (3×3 pad 1, 1×1, …), for input channels [begin, end):
 *   colsT[(i, j, c), (b, y, xo)] = xt[c, b, y + i − top, xo + j − left]   (0 outside)
 * from xt, the images transposed to [ci, images, h, w]. The output rows of one tap, image
 * and channel then read consecutive input rows, so a whole block of rows is ONE contiguous
 * copy (and on the centre row of taps the whole batch is); the few entries that wrapped
 * round from the neighbouring input row (the padding columns) are zeroed afterwards, which
 * is cheaper than copying each short output row on its own.
 * a = [xtOff, colsOff, images, h, w, ci, oh, ow, kh, kw, top, left].
 */
export const fillRowContiguousTask: HeapTask = (hp, a, begin, end) => {
  const [xtOff, colsOff, images, h, w, ci, oh, ow, kh, kw, top, left] = ints(a);
  const pc = images * oh * ow;
  const pixels = images * h * w;
  const planeEnd = ci * pixels;
  const copy = (src: number, dst: number, len: number): void => {
    // The first/last entry may lie just outside the input (a padding column of the first/last
    // row); it is zeroed below like every padding column.
    const lo = Math.max(0, -src);
    const hi = Math.min(len, planeEnd - src);
    if (hi > lo) hp.copyWithin(colsOff + dst + lo, xtOff + src + lo, xtOff + src + hi);
  };
  for (let i = 0; i < kh; i++) {
    // Output rows whose input row y + i − top lies inside the image.
    const yLo = Math.max(0, top - i);
    const yHi = Math.min(oh, h - i + top);
    for (let j = 0; j < kw; j++) {
      const shift = j - left;
      // Output columns whose input column xo + shift lies inside the image.
      const xoLo = Math.max(0, -shift);
      const xoHi = Math.min(ow, w - shift);
      for (let c = begin; c < end; c++) {
        const row = ((i * kw + j) * ci + c) * pc;
        const plane = c * pixels;
        if (yHi <= yLo || xoHi <= xoLo) {
          hp.fill(0, colsOff + row, colsOff + row + pc);
          continue;
        }
        if (yLo === 0 && yHi === oh && h === oh) {
          // Every image reads all its rows: the whole batch is one run.
          copy(plane + (i - top) * w + shift, row, pc);
        } else {
          for (let b = 0; b < images; b++) {
            const dst = row + b * oh * ow;
            if (yLo > 0) hp.fill(0, colsOff + dst, colsOff + dst + yLo * ow);
            if (yHi < oh) hp.fill(0, colsOff + dst + yHi * ow, colsOff + dst + oh * ow);
            copy(plane + (b * h + yLo + i - top) * w + shift, dst + yLo * ow, (yHi - yLo) * ow);
          }
        }
        if (xoLo > 0 || xoHi < ow) {
          for (let y = 0; y < images * oh; y++) {
            const r = colsOff + row + y * ow;
            for (let xo = 0; xo < xoLo; xo++) hp[r + xo] = 0;
            for (let xo = xoHi; xo < ow; xo++) hp[r + xo] = 0;
          }
        }
      }
    }
  }
};

/**
 * Plain im2col, cols[(b, y, xo), (i, j, c)] = x[b0 + b, y·sh + i − top, xo·sw + j − left, c]
 * (0 outside), for images [begin, end) of the chunk.
 * a = [xOff, colsOff, b0, h, w, ci, oh, ow, kh, kw, sh, sw, top, left].
 */
export const fillColumnsTask: HeapTask = (hp, a, begin, end) => {
  const [xOff, colsOff, b0, h, w, ci, oh, ow, kh, kw, sh, sw, top, left] = ints(a);
  const rowLen = kh * kw * ci;
  let o = colsOff + begin * oh * ow * rowLen;
  for (let b = begin; b < end; b++) {
    const image = (b0 + b) * h;
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) {
        for (let i = 0; i < kh; i++) {
          const iy = y * sh + i - top;
          for (let j = 0; j < kw; j++) {
            const ix = xo * sw + j - left;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
              for (let c = 0; c < ci; c++) hp[o + c] = 0;
            } else {
              const src = xOff + ((image + iy) * w + ix) * ci;
              for (let c = 0; c < ci; c++) hp[o + c] = hp[src + c]!;
            }
            o += ci;
          }
        }
      }
    }
  }
};

const TASKS = {
  transposeRows: transposeRowsTask,
  maxPool2Grad: maxPool2GradTask,
  fillRowContiguous: fillRowContiguousTask,
  fillColumns: fillColumnsTask,
} as const;

export type HeapTaskName = keyof typeof TASKS;

/** By number, as they cross the thread boundary; TASK_ID gives each name's number. */
export const HEAP_TASKS: readonly HeapTask[] = Object.values(TASKS);
export const TASK_ID = Object.fromEntries(Object.keys(TASKS).map((name, i) => [name, i])) as Record<HeapTaskName, number>;
