/**
 * Crash-safe file replacement: write a temp file in the same folder, fsync it, rename it
 * over the target, fsync the folder. A reader never sees a half-written checkpoint, and
 * on failure (disk full, permissions) the previous file is left untouched.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface WrittenFile {
  path: string;
  bytes: number;
  sha256: string;
}

export function writeFileAtomic(path: string, chunks: readonly Uint8Array[]): WrittenFile {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const hash = createHash('sha256');
  let bytes = 0;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w', 0o644);
    for (const c of chunks) {
      let off = 0;
      while (off < c.length) off += writeSync(fd, c, off, c.length - off);
      hash.update(c);
      bytes += c.length;
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // Some platforms (Windows) cannot fsync a directory; the rename itself is still atomic.
  }
  return { path, bytes, sha256: hash.digest('hex') };
}

export function sha256Of(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}
