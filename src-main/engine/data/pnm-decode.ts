/**
 * Netpbm reader (PBM, PGM, PPM: P1–P6) giving the pixels of Pillow's
 * `Image.open(f).convert('RGB')`, which torchvision's ImageFolder uses (sharp has no PNM
 * decoder).
 *
 * Pillow's rules, kept here: header tokens are at most 10 characters and `#` comments run to
 * the end of the line; a bitmap's 1 is black; samples scale as round(v / maxval × 255) with
 * Python's round-half-to-even. A greyscale file with maxval above 255 becomes a 32-bit image
 * scaled to 0–65535, which convert('RGB') clips at 255 (so such files read mostly white in
 * PyTorch too); a colour file with 16-bit samples scales to 0–255. Binary samples above
 * maxval are clipped, plain ones are refused. A file with fewer samples than the header
 * announces is refused.
 *
 * Sizes are checked against the file and MAX_IMAGE_PIXELS before the output is allocated,
 * and every error names the byte offset where it was found.
 */
import { ImageDecodeError, MAX_IMAGE_PIXELS, type DecodedImage } from './decoded-image.ts';

const MAX_TOKEN = 10;

function isSpace(b: number | undefined): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0b || b === 0x0c || b === 0x0d;
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Decodes a PBM/PGM/PPM file held in `buf`; `path` only names it in errors. */
export function decodePnm(buf: Uint8Array, path: string): DecodedImage {
  const fail = (reason: string): never => {
    throw new ImageDecodeError(path, `PNM: ${reason}`);
  };
  if (buf.length < 3 || buf[0] !== 0x50 || buf[1]! < 0x31 || buf[1]! > 0x36 || !isSpace(buf[2])) {
    fail('no P1–P6 signature followed by white space at byte offset 0');
  }
  const kind = buf[1]! - 0x30;
  let pos = 3;

  /** Skips a `#` comment: everything up to and including the next CR or LF. */
  const skipComment = (): void => {
    while (pos < buf.length && buf[pos] !== 0x0a && buf[pos] !== 0x0d) pos += 1;
    pos += 1;
  };

  /** Next header token; consumes the one white-space byte that ends it. */
  const headerToken = (what: string): number => {
    const start = pos;
    let token = '';
    while (pos < buf.length && token.length <= MAX_TOKEN) {
      const c = buf[pos]!;
      if (c === 0x23) {
        skipComment();
        continue;
      }
      pos += 1;
      if (isSpace(c)) {
        if (token === '') continue;
        break;
      }
      token += String.fromCharCode(c);
    }
    if (token === '') fail(`the file ends before the ${what} (byte offset ${start})`);
    if (token.length > MAX_TOKEN || !/^\d+$/.test(token)) fail(`the ${what} "${token.slice(0, MAX_TOKEN + 1)}" near byte offset ${start} is not a number of at most ${MAX_TOKEN} digits`);
    return Number(token);
  };

  const widthAt = pos;
  const width = headerToken('width');
  const height = headerToken('height');
  if (width === 0 || height === 0) fail(`${width} × ${height} pixels (header at byte offset ${widthAt})`);
  if (width * height > MAX_IMAGE_PIXELS) fail(`${width} × ${height} pixels (header at byte offset ${widthAt}) exceed the limit of ${MAX_IMAGE_PIXELS}`);
  const bitmap = kind === 1 || kind === 4;
  const maxvalAt = pos;
  const maxval = bitmap ? 1 : headerToken('maxval');
  if (maxval < 1 || maxval > 65535) fail(`maxval ${maxval} near byte offset ${maxvalAt} is not within 1–65535`);
  const channels = kind === 3 || kind === 6 ? 3 : 1;
  // A greyscale file with maxval > 255 is a 32-bit image in Pillow, scaled to 0–65535.
  const outMax = channels === 1 && maxval > 255 ? 65535 : 255;
  const sampleToByte = (v: number): number => Math.min(255, roundHalfEven((v / maxval) * outMax));

  const dataAt = pos;
  const samples = width * height * channels;
  const truncated = (got: number): never =>
    fail(`the pixel data from byte offset ${dataAt} holds ${got} of the ${samples} samples the header announces`);

  let values: Uint8Array;
  if (kind === 4) {
    const rowBytes = Math.ceil(width / 8);
    if (dataAt + rowBytes * height > buf.length) truncated(Math.floor((buf.length - dataAt) / rowBytes) * width);
    values = new Uint8Array(samples);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const bit = (buf[dataAt + y * rowBytes + (x >> 3)]! >> (7 - (x & 7))) & 1;
        values[y * width + x] = bit ? 0 : 255;
      }
    }
  } else if (kind >= 5) {
    const bytesPerSample = maxval > 255 ? 2 : 1;
    if (dataAt + samples * bytesPerSample > buf.length) truncated(Math.floor((buf.length - dataAt) / bytesPerSample));
    values = new Uint8Array(samples);
    for (let i = 0; i < samples; i++) {
      const at = dataAt + i * bytesPerSample;
      const v = bytesPerSample === 2 ? (buf[at]! << 8) | buf[at + 1]! : buf[at]!;
      values[i] = maxval === 255 ? v : sampleToByte(v);
    }
  } else {
    // Plain formats: decimal samples separated by white space (P1: one digit each, spaces optional).
    values = new Uint8Array(samples);
    let n = 0;
    while (n < samples && pos < buf.length) {
      const c = buf[pos]!;
      if (c === 0x23) {
        skipComment();
        continue;
      }
      if (isSpace(c)) {
        pos += 1;
        continue;
      }
      if (kind === 1) {
        if (c !== 0x30 && c !== 0x31) fail(`"${String.fromCharCode(c)}" at byte offset ${pos} is not 0 or 1`);
        values[n++] = c === 0x31 ? 0 : 255;
        pos += 1;
        continue;
      }
      const start = pos;
      while (pos < buf.length && !isSpace(buf[pos]) && buf[pos] !== 0x23 && pos - start <= MAX_TOKEN) pos += 1;
      const token = String.fromCharCode(...buf.subarray(start, pos));
      if (token.length > MAX_TOKEN || !/^\d+$/.test(token)) fail(`the sample "${token}" at byte offset ${start} is not a number of at most ${MAX_TOKEN} digits`);
      const v = Number(token);
      if (v > maxval) fail(`the sample ${v} at byte offset ${start} exceeds maxval ${maxval}`);
      values[n++] = sampleToByte(v);
    }
    if (n < samples) truncated(n);
  }

  if (channels === 3) return { width, height, data: values };
  const rgb = new Uint8Array(samples * 3);
  for (let i = 0; i < samples; i++) rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = values[i]!;
  return { width, height, data: rgb };
}
