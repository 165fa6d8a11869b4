/**
 * The central directory of a zip file, read without inflating anything: where each stored
 * entry's bytes lie in the file. Torch's zip checkpoints store every record uncompressed, so
 * an entry is a (byte offset, byte length) slice of the file that can be read or streamed in
 * place. Every count, size and offset the file states is checked against the file's size
 * before it is used, and errors name the file and the byte offset or entry.
 */
import { readSync } from 'node:fs';

export class ZipFormatError extends Error {
  override readonly name = 'ZipFormatError';
  constructor(
    readonly path: string,
    readonly problem: string,
    readonly offset?: number,
  ) {
    super(`${path}: ${problem}${offset === undefined ? '' : ` (at byte ${offset})`}`);
  }
}

export interface ZipEntry {
  name: string;
  /** 0 = stored; anything else is compressed, which torch never writes. */
  method: number;
  crc32: number;
  /** File offset of the entry's first data byte (after its local header). */
  dataOffset: number;
  /** Bytes of data as stored. */
  size: number;
  uncompressedSize: number;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const EOCD_MIN = 22;
const MAX_COMMENT = 0xffff;
/** More entries than any checkpoint has (a storage per tensor); bounds the work a hostile directory asks for. */
export const MAX_ZIP_ENTRIES = 1_000_000;

/** Reads exactly `length` bytes at `position`, or fails naming where the file ended. */
export function readAt(fd: number, length: number, position: number, path: string): Buffer {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) throw new ZipFormatError(path, `the file ended after ${got} of ${length} bytes`, position + got);
    got += n;
  }
  return buf;
}

function u64(buf: Buffer, at: number, path: string, fileOffset: number): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipFormatError(path, `a 64-bit size or offset ${v} is absurd`, fileOffset);
  return Number(v);
}

/** Whether the file ends like a zip (an end-of-central-directory record in its tail). */
export function findEndOfCentralDirectory(fd: number, fileBytes: number, path: string): number | null {
  if (fileBytes < EOCD_MIN) return null;
  const tailLength = Math.min(fileBytes, EOCD_MIN + MAX_COMMENT);
  const tailStart = fileBytes - tailLength;
  const tail = readAt(fd, tailLength, tailStart, path);
  for (let i = tailLength - EOCD_MIN; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIG && i + EOCD_MIN + tail.readUInt16LE(i + 20) === tailLength) return tailStart + i;
  }
  return null;
}

/** Every entry of the zip whose end record is at `eocdAt`, by name. */
export function readZipDirectory(fd: number, fileBytes: number, eocdAt: number, path: string): Map<string, ZipEntry> {
  const eocd = readAt(fd, EOCD_MIN, eocdAt, path);
  let count = eocd.readUInt16LE(10);
  let cdSize = eocd.readUInt32LE(12);
  let cdOffset = eocd.readUInt32LE(16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locAt = eocdAt - 20;
    if (locAt < 0) throw new ZipFormatError(path, 'zip64 sizes are announced but there is no zip64 locator', eocdAt);
    const loc = readAt(fd, 20, locAt, path);
    if (loc.readUInt32LE(0) !== ZIP64_LOCATOR_SIG) throw new ZipFormatError(path, 'zip64 sizes are announced but there is no zip64 locator', locAt);
    const recAt = u64(loc, 8, path, locAt);
    if (recAt + 56 > locAt) throw new ZipFormatError(path, `the zip64 end record offset ${recAt} lies outside the file`, locAt);
    const rec = readAt(fd, 56, recAt, path);
    if (rec.readUInt32LE(0) !== ZIP64_EOCD_SIG) throw new ZipFormatError(path, 'bad zip64 end record signature', recAt);
    count = u64(rec, 32, path, recAt);
    cdSize = u64(rec, 40, path, recAt);
    cdOffset = u64(rec, 48, path, recAt);
  }
  if (cdOffset + cdSize > eocdAt) {
    throw new ZipFormatError(path, `the central directory [${cdOffset}, ${cdOffset + cdSize}) runs past its end record at ${eocdAt}; truncated?`, eocdAt);
  }
  if (count > MAX_ZIP_ENTRIES || count * 46 > cdSize) {
    throw new ZipFormatError(path, `the directory states ${count} entries, which ${count > MAX_ZIP_ENTRIES ? `exceeds the limit of ${MAX_ZIP_ENTRIES}` : `cannot fit in its ${cdSize} bytes`}`, eocdAt);
  }
  const cd = readAt(fd, cdSize, cdOffset, path);
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let i = 0; i < count; i++) {
    const at = cdOffset + p;
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL_SIG) throw new ZipFormatError(path, `central directory entry ${i} is malformed`, at);
    const method = cd.readUInt16LE(p + 10);
    const crc32 = cd.readUInt32LE(p + 16);
    let size = cd.readUInt32LE(p + 20);
    let uncompressedSize = cd.readUInt32LE(p + 24);
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    let localAt = cd.readUInt32LE(p + 42);
    const end = p + 46 + nameLength + extraLength + commentLength;
    if (end > cd.length) throw new ZipFormatError(path, `central directory entry ${i} runs past the directory`, at);
    const name = cd.toString('utf8', p + 46, p + 46 + nameLength);
    // zip64 extended information: the 32-bit fields that overflowed, in this order.
    const extra = cd.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength);
    for (let e = 0; e + 4 <= extra.length;) {
      const id = extra.readUInt16LE(e);
      const len = extra.readUInt16LE(e + 2);
      if (e + 4 + len > extra.length) break;
      if (id === 0x0001) {
        let q = e + 4;
        const take = (): number => {
          if (q + 8 > e + 4 + len) throw new ZipFormatError(path, `entry ${name}: short zip64 extra field`, at);
          const v = u64(extra, q, path, at);
          q += 8;
          return v;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = take();
        if (size === 0xffffffff) size = take();
        if (localAt === 0xffffffff) localAt = take();
      }
      e += 4 + len;
    }
    if (localAt + 30 > cdOffset) throw new ZipFormatError(path, `entry ${name}: local header offset ${localAt} lies outside the data area`, at);
    const local = readAt(fd, 30, localAt, path);
    if (local.readUInt32LE(0) !== LOCAL_SIG) throw new ZipFormatError(path, `entry ${name}: bad local header signature`, localAt);
    const dataOffset = localAt + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    if (dataOffset + size > cdOffset) {
      throw new ZipFormatError(path, `entry ${name}: its ${size} bytes at ${dataOffset} run past the data area (which ends at ${cdOffset}); truncated?`, localAt);
    }
    if (entries.has(name)) throw new ZipFormatError(path, `entry ${name} appears twice`, at);
    entries.set(name, { name, method, crc32, dataOffset, size, uncompressedSize });
    p = end;
  }
  if (fileBytes < eocdAt + EOCD_MIN) throw new ZipFormatError(path, 'the end record runs past the end of the file', eocdAt);
  return entries;
}
