/**
 * Windows BMP reader giving the pixels of Pillow's `Image.open(f).convert('RGB')`, which
 * torchvision's ImageFolder uses (sharp has no BMP decoder).
 *
 * Read: the core (12-byte) and info (40, 64, 108, 124-byte) headers; 1, 4 and 8 bits per
 * pixel through the palette (an index past its end reads as the grey (i, i, i), as Pillow
 * does); 16 bits as 5-5-5; 24 bits BGR; 32 bits BGRX; BI_BITFIELDS masks for 16, 24 and
 * 32 bits, each channel scaled to 0–255 with truncation (Pillow's unpackers). Alpha is
 * dropped. Rows are bottom-up unless the height is negative. RLE compression is refused.
 *
 * Every size in the header is checked against the file and MAX_IMAGE_PIXELS before the
 * output is allocated, and every error names the byte offset of the field at fault.
 */
import { ImageDecodeError, MAX_IMAGE_PIXELS, type DecodedImage } from './decoded-image.ts';

const FILE_HEADER_BYTES = 14;
const HEADER_SIZES: ReadonlySet<number> = new Set([12, 40, 64, 108, 124]);
const BI_RGB = 0;
const BI_BITFIELDS = 3;
const COMPRESSION_NAMES: Record<number, string> = { 1: 'RLE8', 2: 'RLE4', 4: 'JPEG', 5: 'PNG' };

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
  if (compression !== BI_RGB && compression !== BI_BITFIELDS) {
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
