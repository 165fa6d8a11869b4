/** Test helper: a small ImageFolder tree of real JPEG/PNG/WebP files written with sharp. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';

export async function writeImage(path: string, format: 'jpeg' | 'png' | 'webp', rgb: [number, number, number], width = 16, height = 12): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  let img = sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
  img = format === 'jpeg' ? img.jpeg({ quality: 95 }) : format === 'png' ? img.png() : img.webp({ lossless: true });
  writeFileSync(path, await img.toBuffer());
}

/** A JPEG cut in half: its header is valid, decoding fails. */
export async function writeTruncatedJpeg(path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const buf = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 9, g: 99, b: 199 } } }).jpeg().toBuffer();
  writeFileSync(path, buf.subarray(0, Math.floor(buf.length / 2)));
}

export function writeText(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/**
 * train/ with classes created out of order, nested folders whose sorted-root order differs
 * from depth-first order, upper-case extensions, a non-image file, a text file named .jpg
 * and a truncated JPEG. Returns the expected torchvision order (relative paths) of train/.
 */
export async function writeImageFolderTree(root: string): Promise<{ trainOrder: string[]; classes: string[] }> {
  const t = join(root, 'train');
  await writeImage(join(t, 'b_class', 'img2.jpg'), 'jpeg', [200, 10, 10]);
  await writeImage(join(t, 'b_class', 'img10.jpg'), 'jpeg', [10, 200, 10]);
  await writeImage(join(t, 'b_class', 'Img3.JPG'), 'jpeg', [10, 10, 200]);
  await writeImage(join(t, 'b_class', 'sub', 'a.png'), 'png', [50, 60, 70]);
  await writeImage(join(t, 'b_class', 'sub', 'deeper', 'd.jpg'), 'jpeg', [80, 90, 100]);
  await writeImage(join(t, 'b_class', 'sub a', 'x.jpg'), 'jpeg', [110, 120, 130]);
  await writeImage(join(t, 'b_class', 'sub2', 'z.webp'), 'webp', [140, 150, 160]);
  writeText(join(t, 'b_class', 'notes.txt'), 'not an image and not named like one');
  await writeImage(join(t, 'a_class', 'x.png'), 'png', [30, 40, 50]);
  writeText(join(t, 'a_class', 'fake.jpg'), 'this is text, not a JPEG');
  await writeTruncatedJpeg(join(t, 'a_class', 'broken.jpg'));
  await writeImage(join(t, 'B_upper', 'y.jpg'), 'jpeg', [1, 2, 3]);
  await writeImage(join(t, 'ä_class', 'q.jpg'), 'jpeg', [4, 5, 6]);
  writeText(join(t, 'stray.txt'), 'ignored');
  for (const [i, c] of ['b_class', 'a_class', 'B_upper', 'ä_class'].entries()) {
    await writeImage(join(root, 'val', c, `v${i}.png`), 'png', [100 + i, 50, 25]);
  }
  // Python: sorted(class names) by code point, then sorted(os.walk(...)) roots, then sorted file names.
  const trainOrder = [
    'B_upper/y.jpg',
    'a_class/broken.jpg',
    'a_class/fake.jpg',
    'a_class/x.png',
    'b_class/Img3.JPG',
    'b_class/img10.jpg',
    'b_class/img2.jpg',
    'b_class/sub/a.png',
    'b_class/sub a/x.jpg',
    'b_class/sub/deeper/d.jpg',
    'b_class/sub2/z.webp',
    'ä_class/q.jpg',
  ];
  return { trainOrder, classes: ['B_upper', 'a_class', 'b_class', 'ä_class'] };
}
