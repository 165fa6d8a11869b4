/**
 * The per-sample results of an evaluation: for every val image its true and predicted
 * label and its top-K train neighbours (bank indexes and cosine similarities, most similar
 * first). Compare reads two of these to pair images for McNemar's test, list the images
 * two checkpoints disagree on, and show the neighbours behind each decision.
 *
 * Layout, little-endian:
 *   0   8 bytes  magic "SNCAPSR\0"
 *   8   u32      format version (1)
 *   12  u32      count: val images
 *   16  u32      k: neighbours per image
 *   20  u32      classes
 *   24  u32      trainCount: size of the bank the indexes point into
 *   28  u32      reserved (0)
 *   32  i32[count]        true labels
 *       i32[count]        predicted labels
 *       u32[count * k]    neighbour indexes, row-major per image
 *       f32[count * k]    neighbour similarities
 *       i32[count * k]    neighbour labels (the train labels that voted)
 * The reader bounds every count before allocating and names the file and byte offset of
 * any problem (a truncated file, a label or index out of range).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { writeFileAtomic, type WrittenFile } from '../checkpoint/atomic-file.ts';

export const PER_SAMPLE_MAGIC = 'SNCAPSR\0';
export const PER_SAMPLE_VERSION = 1;
export const PER_SAMPLE_HEADER_BYTES = 32;

/** Bounds of what a reader accepts (ImageNet val is 50,000 images; K is at most 1000). */
export const PER_SAMPLE_LIMITS = { maxCount: 10_000_000, maxK: 1000, maxClasses: 100_000, maxBytes: 2 ** 32 } as const;

export interface PerSampleResults {
  classes: number;
  trainCount: number;
  k: number;
  trueLabels: Int32Array;
  predicted: Int32Array;
  /** count × k, row-major. */
  neighbourIndexes: Uint32Array;
  /** count × k, row-major. */
  neighbourSimilarities: Float32Array;
  /** count × k, row-major: the label of each neighbour (its vote). */
  neighbourLabels: Int32Array;
}

export class PerSampleFileError extends Error {
  override readonly name = 'PerSampleFileError';
  constructor(
    readonly file: string,
    readonly offset: number,
    reason: string,
  ) {
    super(`Per-sample results file ${file}, byte offset ${offset}: ${reason}`);
  }
}

function assertLittleEndian(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('per-sample results files need a little-endian machine');
}

export function perSampleBytes(count: number, k: number): number {
  return PER_SAMPLE_HEADER_BYTES + count * 8 + count * k * 12;
}

function checkShape(r: PerSampleResults): number {
  const count = r.trueLabels.length;
  if (r.predicted.length !== count) throw new RangeError(`predicted has ${r.predicted.length} labels for ${count} images`);
  if (r.neighbourIndexes.length !== count * r.k || r.neighbourSimilarities.length !== count * r.k || r.neighbourLabels.length !== count * r.k) {
    throw new RangeError(`neighbour arrays must hold count × k = ${count * r.k} entries`);
  }
  return count;
}

/** Encodes results (header and sections) as one buffer. */
export function encodePerSampleResults(r: PerSampleResults): Uint8Array {
  assertLittleEndian();
  const count = checkShape(r);
  const out = new Uint8Array(perSampleBytes(count, r.k));
  const view = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = PER_SAMPLE_MAGIC.charCodeAt(i);
  view.setUint32(8, PER_SAMPLE_VERSION, true);
  view.setUint32(12, count, true);
  view.setUint32(16, r.k, true);
  view.setUint32(20, r.classes, true);
  view.setUint32(24, r.trainCount, true);
  view.setUint32(28, 0, true);
  let off = PER_SAMPLE_HEADER_BYTES;
  for (const a of [r.trueLabels, r.predicted, r.neighbourIndexes, r.neighbourSimilarities, r.neighbourLabels]) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off);
    off += a.byteLength;
  }
  return out;
}

/** Writes the file atomically (temp file, fsync, rename). */
export function writePerSampleFile(path: string, r: PerSampleResults): WrittenFile {
  return writeFileAtomic(path, [encodePerSampleResults(r)]);
}

function readExactly(fd: number, file: string, offset: number, length: number, fileSize: number, what: string): Uint8Array {
  if (offset + length > fileSize) {
    throw new PerSampleFileError(file, fileSize, `the file is truncated: ${what} needs bytes up to offset ${offset + length}, but the file ends at offset ${fileSize}`);
  }
  const buf = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, offset + got);
    if (n === 0) throw new PerSampleFileError(file, offset + got, `the file is truncated: ${what} ends early`);
    got += n;
  }
  return buf;
}

/** Reads and checks a per-sample results file. */
export function readPerSampleFile(file: string): PerSampleResults {
  assertLittleEndian();
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = readExactly(fd, file, 0, PER_SAMPLE_HEADER_BYTES, size, 'the header');
    const magic = String.fromCharCode(...head.subarray(0, 8));
    if (magic !== PER_SAMPLE_MAGIC) throw new PerSampleFileError(file, 0, 'not a per-sample results file (wrong magic)');
    const view = new DataView(head.buffer);
    const version = view.getUint32(8, true);
    if (version !== PER_SAMPLE_VERSION) throw new PerSampleFileError(file, 8, `format version ${version} is not supported (this build reads ${PER_SAMPLE_VERSION})`);
    const count = view.getUint32(12, true);
    const k = view.getUint32(16, true);
    const classes = view.getUint32(20, true);
    const trainCount = view.getUint32(24, true);
    const L = PER_SAMPLE_LIMITS;
    if (count > L.maxCount) throw new PerSampleFileError(file, 12, `image count ${count} exceeds ${L.maxCount}`);
    if (k < 1 || k > L.maxK) throw new PerSampleFileError(file, 16, `k = ${k} is outside 1..${L.maxK}`);
    if (classes < 1 || classes > L.maxClasses) throw new PerSampleFileError(file, 20, `${classes} classes is outside 1..${L.maxClasses}`);
    if (trainCount < 1) throw new PerSampleFileError(file, 24, 'the train bank size is 0');
    const expected = perSampleBytes(count, k);
    if (expected > L.maxBytes) throw new PerSampleFileError(file, 12, `${count} images × k ${k} would need ${expected} bytes, above the ${L.maxBytes}-byte limit`);
    if (size > expected) throw new PerSampleFileError(file, expected, `${size - expected} unexpected bytes after the last section`);

    let off = PER_SAMPLE_HEADER_BYTES;
    const section = (bytes: number, what: string): ArrayBuffer => {
      const b = readExactly(fd, file, off, bytes, size, what);
      off += bytes;
      return b.buffer as ArrayBuffer;
    };
    const labelsAt = off;
    const trueLabels = new Int32Array(section(count * 4, 'the true labels'));
    const predictedAt = off;
    const predicted = new Int32Array(section(count * 4, 'the predicted labels'));
    const indexesAt = off;
    const neighbourIndexes = new Uint32Array(section(count * k * 4, 'the neighbour indexes'));
    const neighbourSimilarities = new Float32Array(section(count * k * 4, 'the neighbour similarities'));
    const neighbourLabelsAt = off;
    const neighbourLabels = new Int32Array(section(count * k * 4, 'the neighbour labels'));

    for (let i = 0; i < count; i++) {
      const t = trueLabels[i]!;
      if (t < 0 || t >= classes) throw new PerSampleFileError(file, labelsAt + i * 4, `true label ${t} of image ${i} is outside 0..${classes - 1}`);
      const p = predicted[i]!;
      if (p < 0 || p >= classes) throw new PerSampleFileError(file, predictedAt + i * 4, `predicted label ${p} of image ${i} is outside 0..${classes - 1}`);
    }
    for (let j = 0; j < neighbourIndexes.length; j++) {
      if (neighbourIndexes[j]! >= trainCount) {
        throw new PerSampleFileError(file, indexesAt + j * 4, `neighbour index ${neighbourIndexes[j]} is outside the bank of ${trainCount}`);
      }
    }
    for (let j = 0; j < neighbourLabels.length; j++) {
      const l = neighbourLabels[j]!;
      if (l < 0 || l >= classes) throw new PerSampleFileError(file, neighbourLabelsAt + j * 4, `neighbour label ${l} is outside 0..${classes - 1}`);
    }
    return { classes, trainCount, k, trueLabels, predicted, neighbourIndexes, neighbourSimilarities, neighbourLabels };
  } finally {
    closeSync(fd);
  }
}
