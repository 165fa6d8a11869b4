/**
 * A cheap fingerprint of ImageFolder split folders, for caches of what is derived from their
 * listing (labels, class names, sample order, features of the images): the folder's path,
 * its class folder names and the mtime of the folder and of every class folder. Adding,
 * removing or renaming an image or a class changes a folder's mtime, so the fingerprint
 * changes; it costs one readdir of the split folder and one stat per class, not a listing
 * of every image. Changes inside nested sub-folders of a class folder are not seen (the
 * full index, image-folder.ts, sees them).
 */
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

/** 16 hex digits naming the current state of `folders` (a missing folder counts as a state too). */
export function imageFolderFingerprint(folders: readonly string[]): string {
  const h = createHash('sha256');
  for (const folder of folders) {
    const root = resolve(folder);
    h.update(`${root}\0`);
    let entries;
    try {
      h.update(`${statSync(root).mtimeMs}\0`);
      entries = readdirSync(root, { withFileTypes: true });
    } catch (err) {
      h.update(`missing:${(err as NodeJS.ErrnoException).code ?? 'error'}\0`);
      continue;
    }
    const classes: string[] = [];
    for (const e of entries) if (e.isDirectory() || e.isSymbolicLink()) classes.push(e.name);
    classes.sort();
    for (const name of classes) {
      let mtime = 'gone';
      try {
        const st = statSync(resolve(root, name));
        if (!st.isDirectory()) continue;
        mtime = String(st.mtimeMs);
      } catch {
        // a dangling link: part of the state
      }
      h.update(`${name}\0${mtime}\0`);
    }
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * Fingerprints remembered for `ttlMs` (a gallery asks for one per search, and a folder of
 * 1,000 classes takes some milliseconds to stat), so a change is seen within that time.
 */
export class FolderFingerprints {
  private readonly memo = new Map<string, { at: number; value: string }>();

  constructor(
    private readonly ttlMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  of(folders: readonly string[]): string {
    const key = folders.join('\0');
    const t = this.now();
    const hit = this.memo.get(key);
    if (hit && t - hit.at < this.ttlMs) return hit.value;
    const value = imageFolderFingerprint(folders);
    this.memo.set(key, { at: t, value });
    if (this.memo.size > 64) this.memo.delete(this.memo.keys().next().value!);
    return value;
  }
}
