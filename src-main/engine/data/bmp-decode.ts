/**
 * Windows BMP reader giving the pixels of Pillow's `Image.open(f).convert('RGB')`, which
 * torchvision's ImageFolder uses (sharp has no BMP decoder).
 *
 * Read: the core (12-byte) and info (40, 64, 108, 124-byte) headers; 1, 4 and 8 bits per
 * pixel through the palette (an index past its end reads as the grey (i, i, i), as Pillow
 * does); 16 bits as 5-5-5; 24 bits BGR; 32 bits BGRX; BI_BITFIELDS masks for 16, 24 and
 * 32 bits, each channel scaled to 0–255 with truncation (Pillow's unpackers); RLE8 and
 * RLE4. Alpha is dropped. Rows are bottom-up unless the height is negative. Like Pillow, an
 * RLE stream must cover every pixel (end-of-bitmap before the last row is refused), a run
 * past the end of its row is cut there, and the runs of absolute mode are word-aligned by
 * file offset; unlike Pillow 9.4, a delta escape reads its two offset bytes once.
 *
 * Every size in the header is checked against the file and MAX_IMAGE_PIXELS before the
 * output is allocated, and every error names the byte offset of the field at fault.
 */
import { ImageDecodeError, MAX_IMAGE_PIXELS, type DecodedImage } from './decoded-image.ts';

const FILE_HEADER_BYTES = 14;
const HEADER_SIZES: ReadonlySet<number> = new Set([12, 40, 64, 108, 124]);
const BI_RGB = 0;
const BI_RLE8 = 1;
const BI_RLE4 = 2;
const BI_BITFIELDS = 3;
const COMPRESSION_NAMES: Record<number, string> = { 4: 'JPEG', 5: 'PNG' };

interface ChannelMask {
  readonly mask: number;
  readonly shift: number;
  readonly max: number;
}

function channelMask(mask: number, fail: (reason: string) => never): ChannelMask {
  if (mask === 0) fail('a BI_BITFIELDS colour mask is zero');
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift += 1;
  const max = mask >>> shift;
  if ((max & (max + 1)) !== 0) fail(`the BI_BITFIELDS mask 0x${mask.toString(16)} is not one run of bits`);
  return { mask, shift, max };
}

function scaled(pixel: number, c: ChannelMask): number {
  const v = (pixel & c.mask) >>> c.shift;
  return c.max === 255 ? v : Math.floor((v * 255) / c.max);
}

/** Decodes a BMP file held in `buf`; `path` only names it in errors. */
export function decodeBmp(buf: Uint8Array, path: string): DecodedImage {
  const fail = (reason: string): never => {
    throw new ImageDecodeError(path, `BMP: ${reason}`);
  };
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const need = (offset: number, bytes: number, what: string): void => {
    if (offset + bytes > buf.length) fail(`${what} at byte offset ${offset} runs past the end of the file (${buf.length} bytes)`);
  };
  need(0, FILE_HEADER_BYTES + 4, 'the file header');
  if (buf[0] !== 0x42 || buf[1] !== 0x4d) fail('no "BM" signature at byte offset 0');
  let dataOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(FILE_HEADER_BYTES, true);
  if (!HEADER_SIZES.has(headerSize)) fail(`unsupported header size ${headerSize} at byte offset ${FILE_HEADER_BYTES} (expected 12, 40, 64, 108 or 124)`);
  need(FILE_HEADER_BYTES, headerSize, `the ${headerSize}-byte header`);

  const h = FILE_HEADER_BYTES;
  const core = headerSize === 12;
  const width = core ? view.getUint16(h + 4, true) : view.getInt32(h + 4, true);
  const rawHeight = core ? view.getUint16(h + 6, true) : view.getInt32(h + 8, true);
  const bitsAt = core ? h + 10 : h + 14;
  const bits = view.getUint16(bitsAt, true);
  const compression = core ? BI_RGB : view.getUint32(h + 16, true);
  const colorsUsed = core ? 0 : view.getUint32(h + 32, true);
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);

  if (width <= 0) fail(`width ${width} at byte offset ${h + 4} is not positive`);
  if (height === 0) fail(`height 0 at byte offset ${core ? h + 6 : h + 8}`);
  if (width * height > MAX_IMAGE_PIXELS) {
    fail(`${width} × ${height} pixels (header at byte offset ${h + 4}) exceed the limit of ${MAX_IMAGE_PIXELS}`);
  }
  if (![1, 4, 8, 16, 24, 32].includes(bits)) fail(`unsupported ${bits} bits per pixel at byte offset ${bitsAt}`);
  const rle = compression === BI_RLE8 || compression === BI_RLE4;
  if (rle && bits !== (compression === BI_RLE8 ? 8 : 4)) {
    fail(`RLE${compression === BI_RLE8 ? 8 : 4} with ${bits} bits per pixel (byte offset ${bitsAt})`);
  }
  if (!rle && compression !== BI_RGB && compression !== BI_BITFIELDS) {
    const name = COMPRESSION_NAMES[compression];
    fail(`${name ? `${name} compression` : `compression ${compression}`} at byte offset ${h + 16} is not supported; convert the file to PNG`);
  }
  if (compression === BI_BITFIELDS && bits <= 8) fail(`BI_BITFIELDS with ${bits} bits per pixel (byte offset ${h + 16})`);

  let cursor = h + headerSize;
  let masks: [ChannelMask, ChannelMask, ChannelMask] | null = null;
  if (compression === BI_BITFIELDS) {
    // Info headers of 40 bytes keep the three masks after the header; larger ones inside it.
    const at = headerSize >= 56 ? h + 40 : cursor;
    need(at, 12, 'the BI_BITFIELDS masks');
    const rgb = [view.getUint32(at, true), view.getUint32(at + 4, true), view.getUint32(at + 8, true)];
    if (rgb.every((m) => m === 0)) {
      masks = [channelMask(0xff0000, fail), channelMask(0xff00, fail), channelMask(0xff, fail)];
    } else {
      masks = [channelMask(rgb[0]!, fail), channelMask(rgb[1]!, fail), channelMask(rgb[2]!, fail)];
    }
    if (headerSize < 56) cursor += 12;
  } else if (bits === 16) {
    masks = [channelMask(0x7c00, fail), channelMask(0x3e0, fail), channelMask(0x1f, fail)];
  }

  let palette: Uint8Array | null = null;
  if (bits <= 8) {
    const colors = colorsUsed === 0 ? 1 << bits : colorsUsed;
    if (colors > 65536) fail(`palette of ${colors} colours at byte offset ${h + 32}`);
    // A data offset that points at the palette is taken to mean "after the palette".
    if (dataOffset === h + headerSize) dataOffset += 4 * colors;
    const entryBytes = core ? 3 : 4;
    need(cursor, entryBytes * colors, `the palette of ${colors} colours`);
    const entries = Math.min(colors, 256);
    palette = new Uint8Array(256 * 3);
    for (let i = 0; i < 256; i++) {
      const at = cursor + i * entryBytes;
      const inside = i < entries;
      palette[i * 3] = inside ? buf[at + 2]! : i;
      palette[i * 3 + 1] = inside ? buf[at + 1]! : i;
      palette[i * 3 + 2] = inside ? buf[at]! : i;
    }
    cursor += entryBytes * colors;
  }
  if (dataOffset === 0) dataOffset = cursor;

  if (rle) {
    const rleArgs = { buf, start: dataOffset, width, height, rle4: compression === BI_RLE4, fail };
    // A first pass only counts, so a small stream claiming a large image allocates nothing.
    walkRle(rleArgs, null);
    const out = new Uint8Array(width * height * 3);
    walkRle(rleArgs, (at, index) => {
      const row = Math.floor(at / width);
      const o = ((topDown ? row : height - 1 - row) * width + (at % width)) * 3;
      out[o] = palette![index * 3]!;
      out[o + 1] = palette![index * 3 + 1]!;
      out[o + 2] = palette![index * 3 + 2]!;
    });
    return { width, height, data: out };
  }

  const stride = Math.floor((width * bits + 31) / 32) * 4;
  if (dataOffset + stride * height > buf.length) {
    fail(`pixel data of ${height} rows × ${stride} bytes from byte offset ${dataOffset} runs past the end of the file (${buf.length} bytes)`);
  }

  const out = new Uint8Array(width * height * 3);
  for (let row = 0; row < height; row++) {
    const src = dataOffset + row * stride;
    let o = (topDown ? row : height - 1 - row) * width * 3;
    if (palette) {
      const perByte = 8 / bits;
      const mask = (1 << bits) - 1;
      for (let x = 0; x < width; x++) {
        const byte = buf[src + Math.floor(x / perByte)]!;
        const index = (byte >> (8 - bits - (x % perByte) * bits)) & mask;
        out[o++] = palette[index * 3]!;
        out[o++] = palette[index * 3 + 1]!;
        out[o++] = palette[index * 3 + 2]!;
      }
    } else if (masks) {
      const bytes = bits / 8;
      for (let x = 0; x < width; x++) {
        const at = src + x * bytes;
        const pixel = bytes === 2 ? view.getUint16(at, true) : bytes === 3 ? buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) : view.getUint32(at, true);
        out[o++] = scaled(pixel, masks[0]);
        out[o++] = scaled(pixel, masks[1]);
        out[o++] = scaled(pixel, masks[2]);
      }
    } else {
      const bytes = bits / 8;
      for (let x = 0; x < width; x++) {
        const at = src + x * bytes;
        out[o++] = buf[at + 2]!;
        out[o++] = buf[at + 1]!;
        out[o++] = buf[at]!;
      }
    }
  }
  return { width, height, data: out };
}

interface RleInput {
  buf: Uint8Array;
  /** Byte offset of the pixel data. */
  start: number;
  width: number;
  height: number;
  rle4: boolean;
  fail: (reason: string) => never;
}

/**
 * Walks an RLE8/RLE4 stream, calling `write` (when given) with the position in stream order
 * (row-major from the first stored row) and palette index of every pixel; pixels a delta
 * or end-of-line skips get index 0. Throws unless the stream reaches the last pixel.
 */
function walkRle(input: RleInput, write: ((at: number, index: number) => void) | null): void {
  const { buf, width, height, rle4, fail } = input;
  const total = width * height;
  let pos = input.start;
  let at = 0;
  let x = 0;
  const put = (index: number): void => {
    if (at < total && write) write(at, index);
    at += 1;
  };
  while (at < total) {
    if (pos + 2 > buf.length) fail(`the RLE data ends at byte offset ${pos} after ${Math.min(at, total)} of ${total} pixels`);
    const count = buf[pos]!;
    const value = buf[pos + 1]!;
    const escapeAt = pos;
    pos += 2;
    if (count > 0) {
      const n = x + count > width ? Math.max(0, width - x) : count;
      for (let k = 0; k < n; k++) put(rle4 ? (k % 2 === 0 ? value >> 4 : value & 0x0f) : value);
      x += n;
    } else if (value === 0) {
      while (at % width !== 0) put(0);
      x = 0;
    } else if (value === 1) {
      break;
    } else if (value === 2) {
      if (pos + 2 > buf.length) fail(`the RLE delta at byte offset ${escapeAt} runs past the end of the file`);
      const skip = buf[pos]! + buf[pos + 1]! * width;
      for (let k = 0; k < skip && at < total; k++) put(0);
      x = at % width;
      pos += 2;
    } else {
      const bytes = rle4 ? Math.ceil(value / 2) : value;
      if (pos + bytes > buf.length) fail(`the RLE run of ${value} pixels at byte offset ${escapeAt} runs past the end of the file`);
      for (let k = 0; k < value; k++) {
        const byte = buf[pos + (rle4 ? k >> 1 : k)]!;
        put(rle4 ? (k % 2 === 0 ? byte >> 4 : byte & 0x0f) : byte);
      }
      pos += bytes;
      x += value;
      if (pos % 2 !== 0) pos += 1;
    }
  }
  if (at < total) fail(`the RLE data ends (end of bitmap at byte offset ${pos - 2}) after ${at} of ${total} pixels`);
}
