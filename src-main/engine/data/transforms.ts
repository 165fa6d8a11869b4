/**
 * Image transforms with torchvision semantics, described as plain data so that a pipeline
 * can be posted to loader worker threads and stored with a run's config.
 *
 * Every random decision is drawn from the `Rng` handed to `applyTransforms`, in the order
 * torchvision draws them (RandomResizedCrop: per attempt scale, log-ratio, then top and left;
 * ColorJitter: the permutation, then brightness, contrast, saturation, hue), so a pipeline is
 * a pure function of (image, rng state). The draws are our own xoshiro stream, not torch's
 * Mersenne Twister: crops are distributed as torchvision's but not the same pixels.
 *
 * The first op converts uint8 input to float32 in [0, 1] (ToTensor); later ops work in
 * float32 without rounding to 8 bits between steps (see resample.ts and color-adjust.ts for
 * the differences from PIL this makes). `normalize` should be last.
 */
import type { ImageShape } from './dataset.ts';
import type { Rng } from './rng.ts';
import { resizeCrop, type CropBox, type RgbPixels } from './resample.ts';
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  toGrayscale,
} from './color-adjust.ts';

/** Output size: a single number is a square (or the shorter side for `resize`), a pair is [height, width]. */
export type SizeSpec = number | readonly [height: number, width: number];

export type TransformSpec =
  | {
      readonly op: 'randomResizedCrop';
      readonly size: SizeSpec;
      readonly scale: readonly [number, number];
      readonly ratio: readonly [number, number];
    }
  | { readonly op: 'resize'; readonly size: SizeSpec }
  | { readonly op: 'centerCrop'; readonly size: SizeSpec }
  | { readonly op: 'randomHorizontalFlip'; readonly p: number }
  | {
      readonly op: 'colorJitter';
      readonly brightness: number;
      readonly contrast: number;
      readonly saturation: number;
      readonly hue: number;
    }
  | { readonly op: 'randomGrayscale'; readonly p: number }
  | { readonly op: 'normalize'; readonly mean: readonly number[]; readonly std: readonly number[] };

/** A float32 HWC RGB image, [0, 1] until normalised. */
export interface FloatImage {
  width: number;
  height: number;
  data: Float32Array;
}

export class TransformError extends Error {
  override readonly name = 'TransformError';
}

// ---------------------------------------------------------------- factories (torchvision defaults)

export function randomResizedCrop(
  size: SizeSpec,
  scale: readonly [number, number] = [0.08, 1],
  ratio: readonly [number, number] = [3 / 4, 4 / 3],
): TransformSpec {
  return { op: 'randomResizedCrop', size, scale, ratio };
}
export const resize = (size: SizeSpec): TransformSpec => ({ op: 'resize', size });
export const centerCrop = (size: SizeSpec): TransformSpec => ({ op: 'centerCrop', size });
export const randomHorizontalFlip = (p = 0.5): TransformSpec => ({ op: 'randomHorizontalFlip', p });
export const colorJitter = (brightness = 0, contrast = 0, saturation = 0, hue = 0): TransformSpec => ({
  op: 'colorJitter',
  brightness,
  contrast,
  saturation,
  hue,
});
export const randomGrayscale = (p = 0.1): TransformSpec => ({ op: 'randomGrayscale', p });
export const normalize = (mean: readonly number[], std: readonly number[]): TransformSpec => ({
  op: 'normalize',
  mean,
  std,
});

// ---------------------------------------------------------------- validation and shapes

function sizePair(size: SizeSpec): [number, number] {
  return typeof size === 'number' ? [size, size] : [size[0], size[1]];
}

function checkSize(size: SizeSpec, where: string): void {
  const [h, w] = sizePair(size);
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new TransformError(`${where}: size must be positive integers, got ${JSON.stringify(size)}`);
  }
}

function checkProbability(p: number, where: string): void {
  if (!(p >= 0 && p <= 1)) throw new TransformError(`${where}: p must be in [0, 1], got ${p}`);
}

/** Rejects pipelines torchvision would reject, with the op's position in the message. */
export function validateTransforms(specs: readonly TransformSpec[]): void {
  specs.forEach((t, i) => {
    const where = `transforms[${i}] (${t.op})`;
    switch (t.op) {
      case 'randomResizedCrop':
        checkSize(t.size, where);
        if (!(t.scale[0] > 0 && t.scale[0] <= t.scale[1])) throw new TransformError(`${where}: scale must satisfy 0 < min <= max, got ${JSON.stringify(t.scale)}`);
        if (!(t.ratio[0] > 0 && t.ratio[0] <= t.ratio[1])) throw new TransformError(`${where}: ratio must satisfy 0 < min <= max, got ${JSON.stringify(t.ratio)}`);
        break;
      case 'resize':
      case 'centerCrop':
        checkSize(t.size, where);
        break;
      case 'randomHorizontalFlip':
      case 'randomGrayscale':
        checkProbability(t.p, where);
        break;
      case 'colorJitter':
        for (const [name, v] of [['brightness', t.brightness], ['contrast', t.contrast], ['saturation', t.saturation]] as const) {
          if (!(v >= 0)) throw new TransformError(`${where}: ${name} must be >= 0, got ${v}`);
        }
        if (!(t.hue >= 0 && t.hue <= 0.5)) throw new TransformError(`${where}: hue must be in [0, 0.5], got ${t.hue}`);
        break;
      case 'normalize':
        if (t.mean.length !== 3 || t.std.length !== 3) throw new TransformError(`${where}: mean and std need 3 values (RGB)`);
        if (t.std.some((s) => !(s > 0))) throw new TransformError(`${where}: std values must be > 0, got ${JSON.stringify(t.std)}`);
        break;
    }
  });
}

/**
 * Shape of the pipeline's output, or null when it depends on the input size (e.g. a bare
 * Resize of images of several sizes) and no input shape is known.
 */
export function outputShape(specs: readonly TransformSpec[], input?: { width: number; height: number }): ImageShape | null {
  let cur: { width: number; height: number } | null = input ? { ...input } : null;
  for (const t of specs) {
    switch (t.op) {
      case 'randomResizedCrop':
      case 'centerCrop': {
        const [h, w] = sizePair(t.size);
        cur = { width: w, height: h };
        break;
      }
      case 'resize':
        cur = cur ? resizedSize(cur.width, cur.height, t.size) : typeof t.size === 'number' ? null : { width: t.size[1], height: t.size[0] };
        break;
      default:
        break;
    }
  }
  return cur ? [cur.height, cur.width, 3] : null;
}

// ---------------------------------------------------------------- torchvision's size rules

/** Python's round(): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** torchvision `_compute_resized_output_size` without max_size. */
export function resizedSize(width: number, height: number, size: SizeSpec): { width: number; height: number } {
  if (typeof size !== 'number') return { width: size[1], height: size[0] };
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  const newLong = Math.trunc((size * long) / short);
  return width <= height ? { width: size, height: newLong } : { width: newLong, height: size };
}

/** torchvision RandomResizedCrop.get_params: 10 attempts, then the central fallback. */
export function randomResizedCropBox(
  width: number,
  height: number,
  scale: readonly [number, number],
  ratio: readonly [number, number],
  rng: Rng,
): CropBox {
  const area = width * height;
  const logLo = Math.log(ratio[0]);
  const logHi = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logLo, logHi));
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = rng.int(height - h + 1);
      const left = rng.int(width - w + 1);
      return { left, top, width: w, height: h };
    }
  }
  const inRatio = width / height;
  let w: number;
  let h: number;
  if (inRatio < Math.min(ratio[0], ratio[1])) {
    w = width;
    h = roundHalfEven(w / Math.min(ratio[0], ratio[1]));
  } else if (inRatio > Math.max(ratio[0], ratio[1])) {
    h = height;
    w = roundHalfEven(h * Math.max(ratio[0], ratio[1]));
  } else {
    w = width;
    h = height;
  }
  return { left: Math.trunc((width - w) / 2), top: Math.trunc((height - h) / 2), width: w, height: h };
}

// ---------------------------------------------------------------- application

type Working = { kind: 'u8'; img: RgbPixels } | { kind: 'f32'; img: FloatImage };

function toFloat(w: Working): FloatImage {
  if (w.kind === 'f32') return w.img;
  const src = w.img.data;
  const data = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) data[i] = src[i] / 255;
  return { width: w.img.width, height: w.img.height, data };
}

function resampled(w: Working, box: CropBox, outW: number, outH: number): FloatImage {
  const data = resizeCrop(w.img, box, outW, outH, w.kind === 'u8' ? 1 / 255 : 1);
  return { width: outW, height: outH, data };
}

/** CenterCrop, zero-padding like torchvision when the crop is larger than the image. */
function centerCropImage(img: FloatImage, outH: number, outW: number): FloatImage {
  const { width, height, data } = img;
  if (outW === width && outH === height) return img;
  const out = new Float32Array(outW * outH * 3);
  // torchvision pads (to the crop size) first when needed, then crops at round((H - h) / 2).
  const padLeft = outW > width ? Math.trunc((outW - width) / 2) : 0;
  const padTop = outH > height ? Math.trunc((outH - height) / 2) : 0;
  const pw = Math.max(width, outW);
  const ph = Math.max(height, outH);
  const top = roundHalfEven((ph - outH) / 2);
  const left = roundHalfEven((pw - outW) / 2);
  for (let y = 0; y < outH; y++) {
    const sy = y + top - padTop;
    if (sy < 0 || sy >= height) continue;
    for (let x = 0; x < outW; x++) {
      const sx = x + left - padLeft;
      if (sx < 0 || sx >= width) continue;
      const si = (sy * width + sx) * 3;
      const di = (y * outW + x) * 3;
      out[di] = data[si];
      out[di + 1] = data[si + 1];
      out[di + 2] = data[si + 2];
    }
  }
  return { width: outW, height: outH, data: out };
}

function flipHorizontal(img: FloatImage): void {
  const { width, height, data } = img;
  for (let y = 0; y < height; y++) {
    let a = y * width * 3;
    let b = a + (width - 1) * 3;
    while (a < b) {
      for (let c = 0; c < 3; c++) {
        const t = data[a + c];
        data[a + c] = data[b + c];
        data[b + c] = t;
      }
      a += 3;
      b -= 3;
    }
  }
}

function jitterRange(v: number): [number, number] | null {
  return v === 0 ? null : [Math.max(0, 1 - v), 1 + v];
}

function applyColorJitter(img: FloatImage, t: Extract<TransformSpec, { op: 'colorJitter' }>, rng: Rng): void {
  const order = rng.permutation(4);
  const b = jitterRange(t.brightness);
  const c = jitterRange(t.contrast);
  const s = jitterRange(t.saturation);
  const bf = b ? rng.uniform(b[0], b[1]) : null;
  const cf = c ? rng.uniform(c[0], c[1]) : null;
  const sf = s ? rng.uniform(s[0], s[1]) : null;
  const hf = t.hue > 0 ? rng.uniform(-t.hue, t.hue) : null;
  for (const fn of order) {
    if (fn === 0 && bf !== null) adjustBrightness(img.data, bf);
    else if (fn === 1 && cf !== null) adjustContrast(img.data, cf);
    else if (fn === 2 && sf !== null) adjustSaturation(img.data, sf);
    else if (fn === 3 && hf !== null) adjustHue(img.data, hf);
  }
}

/**
 * Runs a pipeline on one decoded image (HWC RGB, uint8 or float32 in [0, 1]) and returns a
 * float32 HWC image. The input is never modified.
 */
export function applyTransforms(input: RgbPixels, specs: readonly TransformSpec[], rng: Rng): FloatImage {
  let cur: Working = input.data instanceof Float32Array
    ? { kind: 'f32', img: { width: input.width, height: input.height, data: input.data } }
    : { kind: 'u8', img: input };
  let owned = false; // whether cur's buffer is ours to modify in place
  const mutable = (): FloatImage => {
    if (!owned) {
      const f = toFloat(cur);
      cur = { kind: 'f32', img: f === cur.img ? { ...f, data: Float32Array.from(f.data) } : f };
      owned = true;
    }
    return cur.img as FloatImage;
  };
  for (const t of specs) {
    switch (t.op) {
      case 'randomResizedCrop': {
        const [oh, ow] = sizePair(t.size);
        const box = randomResizedCropBox(cur.img.width, cur.img.height, t.scale, t.ratio, rng);
        cur = { kind: 'f32', img: resampled(cur, box, ow, oh) };
        owned = true;
        break;
      }
      case 'resize': {
        const { width: ow, height: oh } = resizedSize(cur.img.width, cur.img.height, t.size);
        if (ow === cur.img.width && oh === cur.img.height) break;
        cur = { kind: 'f32', img: resampled(cur, { left: 0, top: 0, width: cur.img.width, height: cur.img.height }, ow, oh) };
        owned = true;
        break;
      }
      case 'centerCrop': {
        const [oh, ow] = sizePair(t.size);
        const cropped = centerCropImage(toFloat(cur), oh, ow);
        if (cropped.data !== (cur.img as FloatImage).data) owned = true;
        cur = { kind: 'f32', img: cropped };
        break;
      }
      case 'randomHorizontalFlip':
        if (rng.bernoulli(t.p)) flipHorizontal(mutable());
        break;
      case 'colorJitter':
        applyColorJitter(mutable(), t, rng);
        break;
      case 'randomGrayscale':
        if (rng.bernoulli(t.p)) toGrayscale(mutable().data);
        break;
      case 'normalize': {
        const img = mutable();
        const d = img.data;
        const m0 = t.mean[0], m1 = t.mean[1], m2 = t.mean[2];
        const s0 = t.std[0], s1 = t.std[1], s2 = t.std[2];
        for (let i = 0; i < d.length; i += 3) {
          d[i] = (d[i] - m0) / s0;
          d[i + 1] = (d[i + 1] - m1) / s1;
          d[i + 2] = (d[i + 2] - m2) / s2;
        }
        break;
      }
    }
  }
  return mutable();
}
