import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation } from '../../../../src-main/engine/data/color-adjust.ts';
import { cifarTrainTransforms, imagenetTrainTransforms, imagenetValTransforms } from '../../../../src-main/engine/data/recipes.ts';
import { resizeCrop } from '../../../../src-main/engine/data/resample.ts';
import { Rng, sampleRng } from '../../../../src-main/engine/data/rng.ts';
import {
  applyTransforms,
  centerCrop,
  colorJitter,
  normalize,
  outputShape,
  randomGrayscale,
  randomHorizontalFlip,
  randomResizedCropBox,
  resize,
  resizedSize,
  roundHalfEven,
  validateTransforms,
} from '../../../../src-main/engine/data/transforms.ts';

function testImage(width: number, height: number): { width: number; height: number; data: Uint8Array } {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) {
    data[(y * width + x) * 3 + c] = (x * 7 + y * 13 + c * 50 + ((x * y) % 17)) % 256;
  }
  return { width, height, data };
}

test('bilinear crop+resize agrees with PIL within one 8-bit step', () => {
  const fx = JSON.parse(readFileSync(new URL('../../../fixtures/data/pil-resize.json', import.meta.url), 'utf8')) as {
    width: number; height: number; input: number[];
    cases: { box: [number, number, number, number]; out: [number, number]; pixels: number[] }[];
  };
  const src = { width: fx.width, height: fx.height, data: Uint8Array.from(fx.input) };
  for (const c of fx.cases) {
    const [left, top, width, height] = c.box;
    const res = resizeCrop(src, { left, top, width, height }, c.out[0], c.out[1]);
    assert.equal(res.length, c.pixels.length);
    let maxDiff = 0;
    for (let i = 0; i < res.length; i++) maxDiff = Math.max(maxDiff, Math.abs(Math.round(res[i]) - c.pixels[i]));
    assert.ok(maxDiff <= 1, `case ${JSON.stringify(c.box)}→${c.out}: max difference ${maxDiff}`);
  }
});

test('Python rounding and torchvision size rules', () => {
  assert.equal(roundHalfEven(2.5), 2);
  assert.equal(roundHalfEven(3.5), 4);
  assert.equal(roundHalfEven(-0.5), -0);
  assert.equal(roundHalfEven(2.4), 2);
  assert.deepEqual(resizedSize(500, 375, 256), { width: 341, height: 256 }); // int(256 * 500 / 375) = 341
  assert.deepEqual(resizedSize(375, 500, 256), { width: 256, height: 341 });
  assert.deepEqual(outputShape(imagenetValTransforms()), [224, 224, 3]);
  assert.deepEqual(outputShape(imagenetTrainTransforms()), [224, 224, 3]);
  assert.deepEqual(outputShape([resize(256)], { width: 500, height: 375 }), [256, 341, 3]);
  assert.equal(outputShape([resize(256)]), null);
});

test('RandomResizedCrop: area uniform on the scale range when every attempt fits', () => {
  // Square image, square ratio: all attempts fit, so area/total ~ U(0.2, 1).
  const n = 20000;
  const rng = Rng.fromSeed(1);
  const fractions: number[] = [];
  for (let i = 0; i < n; i++) {
    const b = randomResizedCropBox(1000, 1000, [0.2, 1], [1, 1], rng);
    assert.ok(b.left >= 0 && b.top >= 0 && b.left + b.width <= 1000 && b.top + b.height <= 1000, 'b.left >= 0 && b.top >= 0 && b.left + b.width <= 1000 && b.top + b.hei');
    assert.equal(b.width, b.height);
    fractions.push((b.width * b.height) / 1e6);
  }
  fractions.sort((a, b) => a - b);
  const mean = fractions.reduce((a, b) => a + b, 0) / n;
  assert.ok(Math.abs(mean - 0.6) < 0.01, `mean area ${mean}`);
  assert.ok(Math.abs(fractions[Math.floor(n * 0.1)] - 0.28) < 0.01, `10% quantile ${fractions[Math.floor(n * 0.1)]}`);
  assert.ok(Math.abs(fractions[Math.floor(n * 0.9)] - 0.92) < 0.01, `90% quantile ${fractions[Math.floor(n * 0.9)]}`);
});

test('RandomResizedCrop: log aspect ratio uniform, positions uniform', () => {
  const n = 20000;
  const rng = Rng.fromSeed(2);
  let above = 0;
  let logSum = 0;
  let leftFrac = 0;
  for (let i = 0; i < n; i++) {
    const b = randomResizedCropBox(2000, 2000, [0.08, 0.1], [3 / 4, 4 / 3], rng);
    const r = b.width / b.height;
    assert.ok(r > 0.74 && r < 1.35, `aspect ${r}`);
    if (r > 1) above++;
    logSum += Math.log(r);
    leftFrac += b.left / (2000 - b.width);
  }
  assert.ok(Math.abs(above / n - 0.5) < 0.02, `share wider than tall ${above / n}`);
  assert.ok(Math.abs(logSum / n) < 0.005, `mean log aspect ${logSum / n}`);
  assert.ok(Math.abs(leftFrac / n - 0.5) < 0.01, `mean relative left ${leftFrac / n}`);
});

test('RandomResizedCrop: default scale range and the central fallback', () => {
  const rng = Rng.fromSeed(3);
  let minArea = 1;
  for (let i = 0; i < 5000; i++) {
    const b = randomResizedCropBox(500, 375, [0.08, 1], [3 / 4, 4 / 3], rng);
    const a = (b.width * b.height) / (500 * 375);
    minArea = Math.min(minArea, a);
    assert.ok(a <= 1 && a >= 0.079, `area ${a}`);
  }
  assert.ok(minArea < 0.09, 'minArea < 0.09');
  // 100x10 image: no attempt can fit (h would exceed 10), torchvision falls back to the widest allowed centre crop.
  const fb = randomResizedCropBox(100, 10, [0.9, 1], [3 / 4, 4 / 3], Rng.fromSeed(4));
  assert.deepEqual(fb, { left: 43, top: 0, width: 13, height: 10 });
  const tall = randomResizedCropBox(10, 100, [0.9, 1], [3 / 4, 4 / 3], Rng.fromSeed(4));
  assert.deepEqual(tall, { left: 0, top: 43, width: 10, height: 13 });
});

test('flip and grayscale happen at their probabilities', () => {
  const img = testImage(4, 3);
  const n = 10000;
  let flips = 0;
  let grays = 0;
  for (let i = 0; i < n; i++) {
    const f = applyTransforms(img, [randomHorizontalFlip(0.5)], sampleRng(0, 0, i));
    if (Math.abs(f.data[0] - img.data[9] / 255) < 1e-6) flips++;
    const g = applyTransforms(img, [randomGrayscale(0.2)], sampleRng(0, 1, i));
    if (g.data[0] === g.data[1] && g.data[1] === g.data[2]) grays++;
  }
  assert.ok(Math.abs(flips / n - 0.5) < 0.02, `flip rate ${flips / n}`);
  assert.ok(Math.abs(grays / n - 0.2) < 0.015, `grayscale rate ${grays / n}`);
});

test('flip mirrors rows exactly; normalise is (x - mean) / std', () => {
  const img = testImage(3, 2);
  const alwaysFlip = applyTransforms(img, [randomHorizontalFlip(1), normalize([0.5, 0.25, 0], [0.5, 0.25, 2])], Rng.fromSeed(0));
  for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) for (let c = 0; c < 3; c++) {
    const src = img.data[(y * 3 + (2 - x)) * 3 + c] / 255;
    const expect = (src - [0.5, 0.25, 0][c]) / [0.5, 0.25, 2][c];
    assert.ok(Math.abs(alwaysFlip.data[(y * 3 + x) * 3 + c] - expect) < 1e-6, 'Math.abs(alwaysFlip.data[(y * 3 + x) * 3 + c] - expect) < 1e-6');
  }
  assert.deepEqual(img.data, testImage(3, 2).data, 'input must not be modified');
});

test('CenterCrop takes the torchvision offsets and zero-pads when larger', () => {
  const img = testImage(6, 5);
  const c = applyTransforms(img, [centerCrop([3, 2])], Rng.fromSeed(0));
  // top = round((5 - 3) / 2) = 1, left = round((6 - 2) / 2) = 2
  assert.equal(c.width, 2);
  assert.equal(c.height, 3);
  assert.equal(c.data[0], Math.fround(img.data[(1 * 6 + 2) * 3] / 255));
  const p = applyTransforms(img, [centerCrop(8)], Rng.fromSeed(0));
  // pad left (8-6)//2 = 1, top (8-5)//2 = 1
  assert.equal(p.data[0], 0);
  assert.equal(p.data[(1 * 8 + 1) * 3], Math.fround(img.data[0] / 255));
  assert.equal(p.data[(7 * 8 + 7) * 3], 0);
});

test('colour adjustments follow torchvision formulas', () => {
  const px = () => Float32Array.from([1, 0, 0, 0.2, 0.4, 0.6]);
  let d = px();
  adjustBrightness(d, 0.5);
  assert.deepEqual(Array.from(d), Array.from(px()).map((v) => Math.fround(v) * 0.5).map(Math.fround));
  d = px();
  adjustSaturation(d, 0);
  assert.ok(Math.abs(d[0] - 0.2989) < 1e-6 && d[0] === d[1] && d[1] === d[2], 'Math.abs(d[0] - 0.2989) < 1e-6 && d[0] === d[1] && d[1] === d[2]');
  d = px();
  adjustContrast(d, 0);
  const mean = (0.2989 + (0.2989 * 0.2 + 0.587 * 0.4 + 0.114 * 0.6)) / 2;
  for (const v of d) assert.ok(Math.abs(v - mean) < 1e-6, 'Math.abs(v - mean) < 1e-6');
  d = Float32Array.from([1, 0, 0]);
  adjustHue(d, 0.5);
  assert.deepEqual(Array.from(d), [0, 1, 1]); // red → cyan
  d = Float32Array.from([1, 0, 0]);
  adjustHue(d, 1 / 3);
  assert.ok(Math.abs(d[0]) < 1e-6 && Math.abs(d[1] - 1) < 1e-6 && Math.abs(d[2]) < 1e-6, 'Math.abs(d[0]) < 1e-6 && Math.abs(d[1] - 1) < 1e-6 && Math.abs(d[2]) <'); // red → green
  d = Float32Array.from([1, 0, 0]);
  adjustHue(d, -1 / 3);
  assert.ok(Math.abs(d[0]) < 1e-6 && Math.abs(d[1]) < 1e-6 && Math.abs(d[2] - 1) < 1e-6, 'Math.abs(d[0]) < 1e-6 && Math.abs(d[1]) < 1e-6 && Math.abs(d[2] - 1) <'); // red → blue
});

test('ColorJitter brightness factors span [1 - b, 1 + b] uniformly', () => {
  // On a mid-gray image only brightness acts (contrast, saturation and hue keep gray).
  const gray = { width: 1, height: 1, data: Float32Array.from([0.5, 0.5, 0.5]) };
  const n = 5000;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const f = applyTransforms(gray, [colorJitter(0.4, 0.4, 0.4, 0.4)], sampleRng(7, 0, i)).data[0] / 0.5;
    min = Math.min(min, f);
    max = Math.max(max, f);
    sum += f;
  }
  assert.ok(min >= 0.6 - 1e-6 && min < 0.62, `min factor ${min}`);
  assert.ok(max <= 1.4 + 1e-6 && max > 1.38, `max factor ${max}`);
  assert.ok(Math.abs(sum / n - 1) < 0.01, `mean factor ${sum / n}`);
});

test('pipelines are deterministic per (seed, epoch, index) and fixed for a fixed seed', () => {
  const img = testImage(32, 32);
  const t = cifarTrainTransforms();
  const a = applyTransforms(img, t, sampleRng(0, 3, 17));
  const b = applyTransforms(img, t, sampleRng(0, 3, 17));
  const c = applyTransforms(img, t, sampleRng(0, 3, 18));
  assert.deepEqual(a.data, b.data);
  assert.notDeepEqual(a.data, c.data);
  assert.equal(a.data.length, 32 * 32 * 3);
  // Golden values: any change to the RNG, the draw order or the ops shows up here.
  const sum = a.data.reduce((s, v) => s + v, 0);
  const probe = [a.data[0], a.data[1000], a.data[3071]].map((v) => Number(v.toFixed(5)));
  assert.deepEqual({ sum: Number(sum.toFixed(3)), probe }, GOLDEN_CIFAR);
  const big = testImage(500, 375);
  const r = applyTransforms(big, imagenetTrainTransforms(), sampleRng(1, 0, 5));
  assert.equal(r.width, 224);
  const rsum = Number(r.data.reduce((s, v) => s + v, 0).toFixed(2));
  assert.equal(rsum, GOLDEN_IMAGENET_SUM);
});

// Recorded from this implementation (regression values, not PyTorch's: the RNG differs from torch's).
const GOLDEN_CIFAR = { sum: 1054.688, probe: [2.51409, -1.58639, -2.09205] };
const GOLDEN_IMAGENET_SUM = 34294.77;

test('validateTransforms names the bad op', () => {
  assert.throws(() => validateTransforms([randomHorizontalFlip(1.5)]), /transforms\[0\] \(randomHorizontalFlip\): p must be in \[0, 1\]/);
  assert.throws(() => validateTransforms([colorJitter(0, 0, 0, 0.7)]), /hue must be in \[0, 0.5\]/);
  assert.throws(() => validateTransforms([normalize([0, 0], [1, 1])]), /need 3 values/);
});
