/** What every image decoder returns, the error it throws, and the size it refuses beyond. */

export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  /** HWC RGB, width * height * 3 bytes. */
  readonly data: Uint8Array;
}

export class ImageDecodeError extends Error {
  override readonly name = 'ImageDecodeError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/** Largest image any decoder accepts (sharp's default limit, 16383 × 16383), checked before allocating. */
export const MAX_IMAGE_PIXELS = 0x3fff * 0x3fff;
