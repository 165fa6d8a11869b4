/**
 * Streaming extraction of .tar.gz archives (ustar, GNU long names, pax path records).
 *
 * Written here rather than taken from npm: the official CIFAR archives only hold regular
 * files and folders, the reader is ~200 lines, and owning it lets every failure (truncated
 * gzip, bad header checksum, an entry escaping the target folder) become an ArchiveError
 * naming the archive. Links and device entries are skipped, never created.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import { createGunzip } from 'node:zlib';
import { DatasetError } from '../engine/data/data-errors.ts';

/** An archive (.tar.gz) that is truncated, corrupt or holds unexpected entries. */
export class ArchiveError extends DatasetError {
  override name = 'ArchiveError';
}

export interface ExtractOptions {
  signal?: AbortSignal;
  /** Called for each regular file as it starts. */
  onEntry?: (relativePath: string, size: number) => void;
}

export interface ExtractResult {
  files: number;
  bytes: number;
  /** First path segment of every entry, sorted. */
  topLevel: string[];
}

const BLOCK = 512;

function readString(b: Buffer, start: number, len: number): string {
  const slice = b.subarray(start, start + len);
  const nul = slice.indexOf(0);
  return slice.subarray(0, nul < 0 ? len : nul).toString('utf8');
}

/** Long names and pax records longer than this are refused, not buffered (PATH_MAX is 4096). */
export const MAX_META_BODY_BYTES = 64 * 1024;

/**
 * A numeric header field: octal digits (NUL/space padded), or GNU base-256 when the first byte
 * has its high bit set. Returns null for anything else, a negative base-256 value included, or
 * a value past 2^53.
 */
function readNumber(b: Buffer, start: number, len: number): number | null {
  if (b[start]! & 0x80) {
    // GNU base-256 (sizes >= 8 GiB); bit 6 of the first byte is the sign.
    if (b[start]! & 0x40) return null;
    let v = b[start]! & 0x3f;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + b[i]!;
    return Number.isSafeInteger(v) ? v : null;
  }
  const raw = b.subarray(start, start + len);
  const nul = raw.indexOf(0);
  const s = raw.subarray(0, nul < 0 ? len : nul).toString('latin1').trim();
  if (s === '') return 0;
  return /^[0-7]+$/.test(s) && s.length <= 17 ? parseInt(s, 8) : null;
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  return sum === readNumber(h, 148, 8);
}

function parsePax(body: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < body.length) {
    const space = body.indexOf(0x20, i);
    if (space < 0) break;
    const len = parseInt(body.subarray(i, space).toString('ascii'), 10);
    if (!(len > 0)) break;
    const rec = body.subarray(space + 1, i + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    i += len;
  }
  return out;
}

/** Extracts `archive` (.tar.gz) into the existing folder `dest`. */
export async function extractTarGz(archive: string, dest: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const destAbs = resolve(dest);
  const gunzip = createGunzip();
  const src = createReadStream(archive);
  src.on('error', (e) => gunzip.destroy(e));
  src.pipe(gunzip);
  const onAbort = (): void => {
    gunzip.destroy(new ArchiveError(archive, 'extraction cancelled'));
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  let pending: Buffer = Buffer.alloc(0);
  let offset = 0; // of `pending` in the tar stream, for messages
  let state: 'header' | 'body' | 'end' = 'header';
  let remaining = 0;
  let padding = 0;
  let out: FileHandle | null = null;
  let collect: Buffer[] | null = null; // body of a long-name or pax entry
  let collectKind: 'L' | 'x' | null = null;
  let longName: string | null = null;
  let paxPath: string | null = null;
  const top = new Set<string>();
  const result: ExtractResult = { files: 0, bytes: 0, topLevel: [] };

  const safePath = (name: string): string => {
    const cleaned = name.replace(/^(\.\/)+/, '');
    if (cleaned === '' || isAbsolute(cleaned) || cleaned.split(/[\\/]/).includes('..')) {
      throw new ArchiveError(archive, `entry '${name}' would be written outside the destination folder; refusing to extract`);
    }
    const full = resolve(destAbs, cleaned);
    if (full !== destAbs && !full.startsWith(destAbs + sep)) {
      throw new ArchiveError(archive, `entry '${name}' would be written outside the destination folder; refusing to extract`);
    }
    top.add(cleaned.split(/[\\/]/)[0]);
    return full;
  };

  const startEntry = async (h: Buffer): Promise<void> => {
    if (!checksumOk(h)) throw new ArchiveError(archive, `corrupt tar header at byte ${offset - BLOCK} (checksum mismatch): not a tar archive or damaged`);
    const headerAt = offset - BLOCK;
    const type = String.fromCharCode(h[156] || 0x30);
    const size = readNumber(h, 124, 12);
    if (size === null) {
      throw new ArchiveError(archive, `bad size field in the tar header at byte ${headerAt} ('${h.subarray(124, 136).toString('latin1').replace(/[^\x20-\x7e]/g, '?')}' is not an octal number or a non-negative base-256 size)`);
    }
    if ((type === 'L' || type === 'x') && size > MAX_META_BODY_BYTES) {
      throw new ArchiveError(archive, `${type === 'L' ? 'GNU long-name' : 'pax'} header at byte ${headerAt} declares ${size} bytes; more than ${MAX_META_BODY_BYTES} is refused`);
    }
    let name = readString(h, 0, 100);
    if (readString(h, 257, 5) === 'ustar') {
      const prefix = readString(h, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    if (paxPath !== null) name = paxPath;
    else if (longName !== null) name = longName;
    remaining = size;
    padding = (BLOCK - (size % BLOCK)) % BLOCK;
    state = 'body';
    if (type === 'L' || type === 'x') {
      collect = [];
      collectKind = type;
      return;
    }
    longName = null;
    paxPath = null;
    if (type === '5') {
      await mkdir(safePath(name), { recursive: true });
    } else if (type === '0' || type === '7') {
      const path = safePath(name);
      await mkdir(dirname(path), { recursive: true });
      out = await open(path, 'w');
      result.files++;
      opts.onEntry?.(path.slice(destAbs.length + 1).split(sep).join('/'), size);
    }
    // Other types (links, devices, global pax headers) have their bodies skipped.
    if (remaining === 0) await endBody();
  };

  const endBody = async (): Promise<void> => {
    if (out) {
      await out.close();
      out = null;
    }
    if (collect && collectKind) {
      const body = Buffer.concat(collect);
      if (collectKind === 'L') longName = readString(body, 0, body.length);
      else paxPath = parsePax(body).get('path') ?? null;
      collect = null;
      collectKind = null;
    }
    state = 'header';
  };

  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length > 0 && state !== 'end') {
        if (state === 'header') {
          if (padding > 0) {
            const skip = Math.min(padding, pending.length);
            padding -= skip;
            pending = pending.subarray(skip);
            offset += skip;
            continue;
          }
          if (pending.length < BLOCK) break;
          const h = pending.subarray(0, BLOCK);
          pending = pending.subarray(BLOCK);
          offset += BLOCK;
          if (h.every((x) => x === 0)) {
            state = 'end';
            break;
          }
          await startEntry(h);
        } else {
          const n = Math.min(remaining, pending.length);
          const piece = pending.subarray(0, n);
          if (out) await (out as FileHandle).write(piece);
          else if (collect) (collect as Buffer[]).push(Buffer.from(piece));
          result.bytes += out ? n : 0;
          remaining -= n;
          pending = pending.subarray(n);
          offset += n;
          if (remaining === 0) await endBody();
        }
      }
    }
    // `state` is changed inside helper closures, which TypeScript's narrowing cannot see.
    const finalState = state as 'header' | 'body' | 'end';
    if (finalState === 'body' || (finalState === 'header' && (pending.length > 0 || padding > 0))) {
      throw new ArchiveError(archive, `truncated: the tar data ends inside an entry (byte ${offset}); delete the archive and download it again`);
    }
  } catch (e) {
    if (e instanceof ArchiveError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(err.message)) {
      throw new ArchiveError(archive, 'truncated: the gzip stream ends early (unexpected end of file); delete the archive and download it again');
    }
    if (err.code === 'Z_DATA_ERROR') throw new ArchiveError(archive, `not a valid .tar.gz archive (${err.message})`);
    if (err.code === 'ENOENT' && err.path === archive) throw new ArchiveError(archive, 'archive file does not exist');
    throw new ArchiveError(archive, `extraction failed: ${err.message}`);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    const handle = out as FileHandle | null;
    if (handle) await handle.close().catch(() => undefined);
    src.destroy();
  }
  result.topLevel = [...top].sort();
  return result;
}
