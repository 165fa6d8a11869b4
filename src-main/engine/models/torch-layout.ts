/**
 * How a tensor stored in tfjs layout maps to the PyTorch state_dict layout, and the exact
 * permutations between them. The models keep their weights in the layout tfjs' NHWC kernels
 * consume, so the hot path never transposes; the cost moves to import/export, which are rare.
 *
 *  conv2d   torch [out, in, kh, kw]  <->  tfjs [kh, kw, in, out]
 *  linear   torch [out, in]          <->  tfjs [in, out]
 *  linear-nchw-flatten
 *           torch [out, C*H*W] whose input is torch.flatten of an NCHW map (index c*H*W + h*W + w)
 *                                    <->  tfjs [H*W*C, out] whose input is the flatten of the
 *                                         NHWC map (index (h*W + w)*C + c).
 *           Both compute the same dot products: row (h, w, c) of the tfjs matrix is column
 *           (c, h, w) of the torch one. So flattening NHWC activations directly (free reshape)
 *           is exact, and only the weight is permuted on import/export.
 *  same     identical (vectors, scalars)
 */
export type TorchLayout =
  | { readonly kind: 'conv2d' }
  | { readonly kind: 'linear' }
  | { readonly kind: 'linear-nchw-flatten'; readonly height: number; readonly width: number; readonly channels: number }
  | { readonly kind: 'same' };

/** The tfjs shape of a tensor whose torch shape is `torchShape`. */
export function tfjsShapeOf(torchShape: readonly number[], layout: TorchLayout): number[] {
  switch (layout.kind) {
    case 'conv2d': {
      const [o, i, kh, kw] = torchShape as [number, number, number, number];
      return [kh, kw, i, o];
    }
    case 'linear':
    case 'linear-nchw-flatten': {
      const [o, i] = torchShape as [number, number];
      return [i, o];
    }
    case 'same':
      return [...torchShape];
  }
}

/** Permutes torch-layout data into tfjs layout. */
export function torchToTfjs(src: Float32Array, torchShape: readonly number[], layout: TorchLayout): Float32Array {
  switch (layout.kind) {
    case 'conv2d': {
      const [o, i, kh, kw] = torchShape as [number, number, number, number];
      const dst = new Float32Array(src.length);
      for (let oo = 0; oo < o; oo++)
        for (let ii = 0; ii < i; ii++)
          for (let y = 0; y < kh; y++)
            for (let x = 0; x < kw; x++) dst[((y * kw + x) * i + ii) * o + oo] = src[((oo * i + ii) * kh + y) * kw + x]!;
      return dst;
    }
    case 'linear': {
      const [o, i] = torchShape as [number, number];
      const dst = new Float32Array(src.length);
      for (let oo = 0; oo < o; oo++) for (let ii = 0; ii < i; ii++) dst[ii * o + oo] = src[oo * i + ii]!;
      return dst;
    }
    case 'linear-nchw-flatten': {
      const [o] = torchShape as [number, number];
      const { height: h, width: w, channels: c } = layout;
      const dst = new Float32Array(src.length);
      for (let oo = 0; oo < o; oo++)
        for (let cc = 0; cc < c; cc++)
          for (let y = 0; y < h; y++)
            for (let x = 0; x < w; x++) dst[((y * w + x) * c + cc) * o + oo] = src[oo * c * h * w + (cc * h + y) * w + x]!;
      return dst;
    }
    case 'same':
      return src.slice();
  }
}

/** Permutes tfjs-layout data (of the tensor whose torch shape is `torchShape`) into torch layout. */
export function tfjsToTorch(src: Float32Array, torchShape: readonly number[], layout: TorchLayout): Float32Array {
  switch (layout.kind) {
    case 'conv2d': {
      const [o, i, kh, kw] = torchShape as [number, number, number, number];
      const dst = new Float32Array(src.length);
      for (let oo = 0; oo < o; oo++)
        for (let ii = 0; ii < i; ii++)
          for (let y = 0; y < kh; y++)
            for (let x = 0; x < kw; x++) dst[((oo * i + ii) * kh + y) * kw + x] = src[((y * kw + x) * i + ii) * o + oo]!;
      return dst;
    }
    case 'linear': {
      const [o, i] = torchShape as [number, number];
      const dst = new Float32Array(src.length);
      for (let oo = 0; oo < o; oo++) for (let ii = 0; ii < i; ii++) dst[oo * i + ii] = src[ii * o + oo]!;
      return dst;
    }
    case 'linear-nchw-flatten': {
      const [o] = torchShape as [number, number];
      const { height: h, width: w, channels: c } = layout;
      const dst = new Float32Array(src.length);
      for (let oo = 0; oo < o; oo++)
        for (let cc = 0; cc < c; cc++)
          for (let y = 0; y < h; y++)
            for (let x = 0; x < w; x++) dst[oo * c * h * w + (cc * h + y) * w + x] = src[((y * w + x) * c + cc) * o + oo]!;
      return dst;
    }
    case 'same':
      return src.slice();
  }
}
