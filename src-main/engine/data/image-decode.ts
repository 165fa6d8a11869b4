/**
 * Image decoding with sharp (libvips) into the HWC uint8 RGB buffers the transforms take,
 * and the file-signature sniffing that lets the folder index flag non-images early.
 *
 * Known differences from torchvision's PIL `Image.open(f).convert('RGB')`: libvips converts
 * images carrying an ICC profile (and CMYK JPEGs) to sRGB through the profile, where PIL
 * ignores profiles; alpha is dropped (not composited) by both; EXIF orientation is ignored
 * by both. Truncated files fail here (sharp `failOn: 'error'`) as they do in PIL.
 *
 * BMP and PNM (torchvision's .bmp, .ppm and .pgm), which sharp cannot read, go to the
 * readers in bmp-decode.ts and pnm-decode.ts.
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { decodeBmp } from './bmp-decode.ts';
import { ImageDecodeError, MAX_IMAGE_PIXELS, type DecodedImage } from './decoded-image.ts';
import { decodePnm } from './pnm-decode.ts';

export { ImageDecodeError, type DecodedImage };

type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'bmp' | 'pnm';

/** Identifies an image by its first bytes (16 are enough), or null when none matches. */
function sniffImageFormat(head: Uint8Array): ImageFormat | null {
  const b = head;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a) return 'png';
  if (b.length >= 12 && b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50) return 'webp';
  if (b.length >= 4 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38) return 'gif';
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a && b[3] === 0) || (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 0x2a))) return 'tiff';
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return 'bmp';
  if (b.length >= 2 && b[0] === 0x50 && b[1] >= 0x31 && b[1] <= 0x36) return 'pnm';
  return null;
}

/** Why a file with this head cannot be decoded, or null if it looks decodable. */
export function sniffProblem(head: Uint8Array, fileSize: number): string | null {
  if (fileSize === 0) return 'empty file (0 bytes)';
  const f = sniffImageFormat(head);
  if (f === null) {
    const hex = Array.from(head.subarray(0, 8), (x) => x.toString(16).padStart(2, '0')).join(' ');
    return `not an image: content does not start with a JPEG, PNG, WebP, GIF, TIFF, BMP or PNM signature (first bytes ${hex})`;
  }
  return null;
}

/** Decodes an encoded image; `path` only names it in errors. */
export async function decodeImage(buf: Uint8Array, path: string): Promise<DecodedImage> {
  const problem = sniffProblem(buf.subarray(0, 16), buf.length);
  if (problem) throw new ImageDecodeError(path, problem);
  const format = sniffImageFormat(buf.subarray(0, 16));
  if (format === 'bmp') return decodeBmp(buf, path);
  if (format === 'pnm') return decodePnm(buf, path);
  try {
    const { data, info } = await sharp(buf, { failOn: 'error', limitInputPixels: MAX_IMAGE_PIXELS })
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoder produced ${info.channels} channels`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (e) {
    throw new ImageDecodeError(path, `cannot be decoded (${(e as Error).message})`);
  }
}

export async function decodeImageFile(path: string): Promise<DecodedImage> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new ImageDecodeError(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return decodeImage(buf, path);
}
