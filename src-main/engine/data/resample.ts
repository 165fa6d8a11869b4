/**
 * Antialiased bilinear resampling with PIL's algorithm (`Image.resize(..., BILINEAR)`, which is
 * what torchvision's Resize/RandomResizedCrop call on PIL images): a separable triangle
 * filter whose support widens with the downscale factor, horizontal pass then vertical pass,
 * sample centres at (x + 0.5) * scale.
 *
 * Difference from PIL, on purpose: PIL stores 8-bit coefficients in 22-bit fixed point and
 * rounds the intermediate image and the result to uint8; here both passes stay in float32
 * and the result is not quantised (ToTensor follows immediately, so quantising would only
 * add error). Outputs therefore differ from PIL's by less than one 8-bit step (checked
 * against PIL-generated values in the tests).
 */

/** An HWC, 3-channel image; uint8 straight from the decoder or float32 after an earlier op. */
export interface RgbPixels {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array | Float32Array;
}

/** Integer rectangle inside the source image. */
export interface CropBox {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

interface AxisCoefficients {
  /** Per output position: first input index (relative to the crop) and tap count. */
  readonly start: Int32Array;
  readonly count: Int32Array;
  /** Per output position, `taps` slots of normalised weights. */
  readonly weights: Float32Array;
  readonly taps: number;
}

function triangle(x: number): number {
  const a = x < 0 ? -x : x;
  return a < 1 ? 1 - a : 0;
}

/** PIL's precompute_coeffs for the bilinear filter over an input of `inSize` pixels. */
function axisCoefficients(inSize: number, outSize: number): AxisCoefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // bilinear support is 1, widened when shrinking
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * taps);
  const invFilterScale = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    const n = xmax - xmin;
    let total = 0;
    const base = xx * taps;
    for (let x = 0; x < n; x++) {
      const w = triangle((x + xmin - center + 0.5) * invFilterScale);
      weights[base + x] = w;
      total += w;
    }
    if (total !== 0) for (let x = 0; x < n; x++) weights[base + x] /= total;
    start[xx] = xmin;
    count[xx] = n;
  }
  return { start, count, weights, taps };
}

/**
 * Crops `box` out of `src` and resizes it to outWidth × outHeight (torchvision's
 * `resized_crop`: the filter never reads outside the box, as PIL crops before resizing).
 * Values are multiplied by `valueScale` (1/255 turns uint8 into ToTensor's [0, 1]).
 */
export function resizeCrop(
  src: RgbPixels,
  box: CropBox,
  outWidth: number,
  outHeight: number,
  valueScale = 1,
): Float32Array {
  const { left, top, width: bw, height: bh } = box;
  if (bw < 1 || bh < 1 || left < 0 || top < 0 || left + bw > src.width || top + bh > src.height) {
    throw new RangeError(
      `crop box ${bw}x${bh}+${left}+${top} does not fit in a ${src.width}x${src.height} image`,
    );
  }
  const sd = src.data;
  const sw = src.width;
  // Horizontal pass over every row of the box.
  let rows: Float32Array;
  if (bw === outWidth) {
    rows = new Float32Array(outWidth * bh * 3);
    for (let y = 0; y < bh; y++) {
      const si = ((top + y) * sw + left) * 3;
      const di = y * outWidth * 3;
      for (let k = 0; k < outWidth * 3; k++) rows[di + k] = sd[si + k] * valueScale;
    }
  } else {
    const h = axisCoefficients(bw, outWidth);
    rows = new Float32Array(outWidth * bh * 3);
    for (let y = 0; y < bh; y++) {
      const rowBase = ((top + y) * sw + left) * 3;
      let di = y * outWidth * 3;
      for (let xx = 0; xx < outWidth; xx++) {
        const n = h.count[xx];
        const wb = xx * h.taps;
        let si = rowBase + h.start[xx] * 3;
        let r = 0;
        let g = 0;
        let b = 0;
        for (let k = 0; k < n; k++) {
          const w = h.weights[wb + k];
          r += sd[si] * w;
          g += sd[si + 1] * w;
          b += sd[si + 2] * w;
          si += 3;
        }
        rows[di] = r * valueScale;
        rows[di + 1] = g * valueScale;
        rows[di + 2] = b * valueScale;
        di += 3;
      }
    }
  }
  if (bh === outHeight) return rows;
  // Vertical pass.
  const v = axisCoefficients(bh, outHeight);
  const rowLen = outWidth * 3;
  const out = new Float32Array(outHeight * rowLen);
  for (let yy = 0; yy < outHeight; yy++) {
    const n = v.count[yy];
    const wb = yy * v.taps;
    const y0 = v.start[yy];
    const di = yy * rowLen;
    for (let k = 0; k < n; k++) {
      const w = v.weights[wb + k];
      const si = (y0 + k) * rowLen;
      for (let i = 0; i < rowLen; i++) out[di + i] += rows[si + i] * w;
    }
  }
  return out;
}
