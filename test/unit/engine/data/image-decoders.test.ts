/**
 * BMP and PNM decoding against Pillow: every fixture in test/fixtures/data/images decodes to
 * exactly the pixels of Pillow's convert('RGB') (images/expected.json, written by
 * make-image-fixtures.py), and malformed headers are refused with the file and byte offset
 * before anything large is allocated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeBmp } from '../../../../src-main/engine/data/bmp-decode.ts';
import { ImageDecodeError } from '../../../../src-main/engine/data/decoded-image.ts';
import { decodeImageFile, sniffProblem } from '../../../../src-main/engine/data/image-decode.ts';
import { decodePnm } from '../../../../src-main/engine/data/pnm-decode.ts';
import { makeTempDir } from '../../../fixtures/temp-home.ts';

const DIR = join(import.meta.dirname, '../../../fixtures/data/images');

interface Expected {
  pil: string;
  images: Record<string, { mode: string; width: number; height: number; pixels: number[] }>;
}
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Expected;

test('every BMP/PNM fixture decodes to the pixels Pillow gives', async () => {
  const names = readdirSync(DIR).filter((n) => n !== 'expected.json').sort();
  assert.deepEqual(names, Object.keys(expected.images).sort(), 'expected.json covers every fixture file');
  for (const name of names) {
    const want = expected.images[name]!;
    const path = join(DIR, name);
    const bytes = readFileSync(path);
    assert.equal(sniffProblem(bytes.subarray(0, 16), bytes.length), null, `${name} is not flagged by the folder index`);
    const got = await decodeImageFile(path);
    assert.deepEqual([got.width, got.height], [want.width, want.height], name);
    assert.deepEqual([...got.data], want.pixels, `${name} (Pillow mode ${want.mode}, Pillow ${expected.pil})`);
  }
});

function bmpHeader(width: number, height: number, bits: number, compression = 0, fileBytes = 54): Uint8Array {
  const buf = new Uint8Array(fileBytes);
  const v = new DataView(buf.buffer);
  buf.set([0x42, 0x4d]);
  v.setUint32(2, fileBytes, true);
  v.setUint32(10, 54, true);
  v.setUint32(14, 40, true);
  v.setInt32(18, width, true);
  v.setInt32(22, height, true);
  v.setUint16(26, 1, true);
  v.setUint16(28, bits, true);
  v.setUint32(30, compression, true);
  return buf;
}

function refusal(fn: () => unknown, path: string, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ImageDecodeError, String(e));
    assert.equal(e.path, path);
    assert.ok(e.message.startsWith(`${path}: `), e.message);
    assert.match(e.reason, pattern);
    return true;
  });
}

test('a BMP header claiming huge dimensions is refused before the pixels are allocated', () => {
  refusal(() => decodeBmp(bmpHeader(100_000, -100_000, 24), 'huge.bmp'), 'huge.bmp', /100000 × 100000 pixels \(header at byte offset 18\) exceed the limit/);
  // Within the pixel limit but far larger than the file: refused by the data bound.
  refusal(() => decodeBmp(bmpHeader(16_000, 16_000, 24), 'big.bmp'), 'big.bmp', /16000 rows × 48000 bytes from byte offset 54 runs past the end of the file \(54 bytes\)/);
});

test('malformed BMP files are refused with the byte offset of the field at fault', () => {
  refusal(() => decodeBmp(new Uint8Array([0x42, 0x4d, 0, 0]), 'short.bmp'), 'short.bmp', /the file header at byte offset 0 runs past the end of the file \(4 bytes\)/);
  refusal(() => decodeBmp(bmpHeader(2, 2, 8, 4, 2000), 'jpeg.bmp'), 'jpeg.bmp', /JPEG compression at byte offset 30 is not supported/);
  refusal(() => decodeBmp(bmpHeader(2, 2, 24, 1, 2000), 'rle24.bmp'), 'rle24.bmp', /RLE8 with 24 bits per pixel \(byte offset 28\)/);
  refusal(() => decodeBmp(bmpHeader(2, 2, 12), 'bits.bmp'), 'bits.bmp', /unsupported 12 bits per pixel at byte offset 28/);
  refusal(() => decodeBmp(bmpHeader(0, 2, 24), 'zero.bmp'), 'zero.bmp', /width 0 at byte offset 18/);
  const good = readFileSync(join(DIR, 'palette8-top-down.bmp'));
  refusal(() => decodeBmp(good.subarray(0, good.length - 3), 'cut.bmp'), 'cut.bmp', /pixel data of 2 rows × 8 bytes from byte offset 66 runs past the end of the file \(79 bytes\)/);
  refusal(() => decodeBmp(good.subarray(0, 60), 'cut-palette.bmp'), 'cut-palette.bmp', /the palette of 3 colours at byte offset 54 runs past the end/);
});

/** An RLE8 BMP whose palette maps index i to RGB (3i, 2i, i). */
function rle8Bmp(width: number, height: number, stream: number[]): Uint8Array {
  const palette = 4 * 256;
  const buf = bmpHeader(width, height, 8, 1, 54 + palette + stream.length);
  for (let i = 0; i < 256; i++) buf.set([i, (2 * i) % 256, (3 * i) % 256, 0], 54 + 4 * i);
  buf.set(stream, 54 + palette);
  return buf;
}

test('RLE: deltas and end-of-line skip to index 0, and a stream must cover every pixel before anything is allocated', () => {
  // Stored rows (bottom-up): 1 1 0 0 | 0 0 0 2 | 3 3 3 3; the delta (1, 1) skips 5 pixels.
  const img = decodeBmp(rle8Bmp(4, 3, [2, 1, 0, 2, 1, 1, 1, 2, 0, 0, 4, 3, 0, 1]), 'delta.bmp');
  const rgb = (i: number) => [3 * i, 2 * i, i];
  assert.deepEqual([...img.data], [3, 3, 3, 3, 0, 0, 0, 2, 1, 1, 0, 0].flatMap(rgb));
  refusal(() => decodeBmp(rle8Bmp(4, 3, [4, 1, 0, 1]), 'early.bmp'), 'early.bmp', /the RLE data ends \(end of bitmap at byte offset 1080\) after 4 of 12 pixels/);
  refusal(() => decodeBmp(rle8Bmp(4, 3, [4, 1, 0, 3, 1]), 'cut.bmp'), 'cut.bmp', /the RLE run of 3 pixels at byte offset 1080 runs past the end of the file/);
  // 16000 × 16000 claimed, 25 rows given (one pixel, then end-of-line): refused by the counting pass.
  const rows = Array.from({ length: 25 }, () => [1, 5, 0, 0]).flat();
  refusal(() => decodeBmp(rle8Bmp(16_000, 16_000, rows), 'huge-rle.bmp'), 'huge-rle.bmp', /the RLE data ends at byte offset 1178 after 400000 of 256000000 pixels/);
});

test('malformed PNM files are refused with the byte offset where the problem is', () => {
  const text = (s: string) => new TextEncoder().encode(s);
  refusal(() => decodePnm(text('P6\n4 4\n255\n0123456789'), 'cut.ppm'), 'cut.ppm', /from byte offset 11 holds 10 of the 48 samples/);
  refusal(() => decodePnm(text('P2 2 1 9 3 10\n'), 'over.pgm'), 'over.pgm', /the sample 10 at byte offset 11 exceeds maxval 9/);
  refusal(() => decodePnm(text('P5 4 x 255\n'), 'token.pgm'), 'token.pgm', /the height "x" near byte offset 5 is not a number/);
  refusal(() => decodePnm(text('P5 4 2 70000\n'), 'maxval.pgm'), 'maxval.pgm', /maxval 70000 near byte offset 7 is not within 1–65535/);
  refusal(() => decodePnm(text('P6 100000 100000 255\n'), 'huge.ppm'), 'huge.ppm', /100000 × 100000 pixels \(header at byte offset 3\) exceed the limit/);
  refusal(() => decodePnm(text('P1 2 1 0 2\n'), 'bit.pbm'), 'bit.pbm', /"2" at byte offset 9 is not 0 or 1/);
  refusal(() => decodePnm(text('P5 2 1'), 'end.pgm'), 'end.pgm', /the file ends before the maxval \(byte offset 6\)/);
});

test('an image folder file with a .bmp or .pgm name goes through the new readers', async () => {
  const tmp = makeTempDir('snca-bmp-');
  try {
    const path = join(tmp.dir, 'a.bmp');
    writeFileSync(path, readFileSync(join(DIR, 'rgb24-top-down.bmp')));
    const img = await decodeImageFile(path);
    assert.deepEqual([...img.data], expected.images['rgb24-top-down.bmp']!.pixels);
    const bad = join(tmp.dir, 'b.pgm');
    writeFileSync(bad, 'P5 3 3 255\n12');
    await assert.rejects(decodeImageFile(bad), (e: unknown) => e instanceof ImageDecodeError && e.path === bad && /holds 2 of the 9 samples/.test(e.reason));
  } finally {
    tmp.cleanup();
  }
});
