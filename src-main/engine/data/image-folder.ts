/**
 * Index of an ImageFolder split (`<split>/<class>/.../<image>`) in torchvision's order:
 * classes are the sorted sub-folder names (label = position), samples are sorted per class
 * as `sorted(os.walk(class_dir, followlinks=True))` then sorted file names, keeping files
 * whose lower-cased name ends with one of torchvision's IMG_EXTENSIONS. With this order a
 * sample's index is the same as in PyTorch, so memory-bank rows of a released model map
 * to the right images. Python sorts strings by code point; so does `compareCodePoints`.
 *
 * Files with an image extension that are not decodable images stay in the index (removing
 * them would shift every later index) and are listed as `bad` with the reason.
 *
 * Scanning 1.28M files takes minutes, so the index is cached as JSON with the mtime of every
 * folder it walked. A folder's mtime changes when entries are added, removed or renamed in
 * it, so on the next start only folders are stat'ed and only changed classes are re-scanned.
 * A file rewritten in place (same name) is not noticed; decoding errors still catch it.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, realpath, rename, stat, writeFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { DatasetError } from './data-errors.ts';
import { sniffProblem } from './image-decode.ts';

/** torchvision.datasets.folder.IMG_EXTENSIONS */
export const IMG_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp'] as const;

/** Changes whenever what a cached index holds changes (which files count as bad); other versions are rebuilt. */
const CACHE_VERSION = 2;

export function hasImageExtension(name: string): boolean {
  const lower = name.toLowerCase();
  return IMG_EXTENSIONS.some((e) => lower.endsWith(e));
}

/** Python's str ordering (by code point), which differs from JS `<` for astral characters. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    const surA = ca >= 0xd800 && ca <= 0xdfff;
    const surB = cb >= 0xd800 && cb <= 0xdfff;
    if (surA === surB) return ca - cb;
    // A surrogate (astral code point) sorts after any BMP character, which it is not in UTF-16.
    return surA ? 1 : -1;
  }
  return a.length - b.length;
}

export interface BadFile {
  /** Sample index in the split. */
  readonly index: number;
  readonly path: string;
  readonly reason: string;
}

export interface ImageFolderIndex {
  /** The split folder, e.g. ROOT/train. */
  readonly root: string;
  readonly classes: readonly string[];
  /** Paths relative to `root`, in sample order. */
  readonly files: readonly string[];
  readonly labels: Int32Array;
  /** Files found unreadable while indexing (only when sniffing). */
  readonly bad: readonly BadFile[];
  readonly fromCache: boolean;
  /** Classes whose folders were (re-)scanned this time. */
  readonly scannedClasses: number;
}

export interface IndexOptions {
  /** Folder for the index cache; null disables caching. */
  cacheDir: string | null;
  /** Required class list (the train split's, for val); the folder must have exactly these. */
  classes?: readonly string[];
  /** Read each file's first bytes to flag non-images (default true). */
  sniff?: boolean;
  log?: (msg: string) => void;
  signal?: AbortSignal;
}

interface ClassScan {
  name: string;
  /** Folders walked: [path relative to the split root, mtimeMs]. */
  dirs: [string, number][];
  /** Relative paths in torchvision order. */
  files: string[];
  /** [position within `files`, reason] */
  bad: [number, string][];
  sniffed: boolean;
}

interface CacheFile {
  version: number;
  root: string;
  classes: ClassScan[];
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** torchvision `find_classes`: sorted names of the sub-folders (symlinks followed). */
export async function findClasses(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DatasetError(dir, 'folder does not exist');
    if (code === 'ENOTDIR') throw new DatasetError(dir, 'is a file, expected a folder of class folders');
    throw new DatasetError(dir, `cannot be read (${code ?? (e as Error).message})`);
  }
  const names: string[] = [];
  let images = 0;
  for (const e of entries) {
    if (e.isDirectory() || (e.isSymbolicLink() && (await isDir(join(dir, e.name))))) names.push(e.name);
    else if (hasImageExtension(e.name)) images++;
  }
  if (names.length === 0) {
    const hint = images > 0 ? ` (it holds ${images} image files directly: put them in one folder per class)` : '';
    throw new DatasetError(dir, `no class folders found; expected the ImageFolder layout <split>/<class>/<images>${hint}`);
  }
  return names.sort(compareCodePoints);
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const run = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return out;
}

async function sniffFile(path: string): Promise<string | null> {
  let fh;
  try {
    fh = await open(path, 'r');
    const st = await fh.stat();
    if (!st.isFile()) return 'not a regular file';
    const head = new Uint8Array(16);
    const { bytesRead } = await fh.read(head, 0, 16, 0);
    return sniffProblem(head.subarray(0, bytesRead), st.size);
  } catch (e) {
    return `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  } finally {
    await fh?.close();
  }
}

/** Walks one class folder like `sorted(os.walk(d, followlinks=True))`. */
async function scanClass(root: string, name: string, sniff: boolean, log: (m: string) => void): Promise<ClassScan> {
  const dirs: { rel: string; mtimeMs: number; files: string[] }[] = [];
  const seen = new Set<string>();
  const walk = async (rel: string): Promise<void> => {
    const abs = join(root, rel);
    const real = await realpath(abs);
    if (seen.has(real)) {
      log(`Skipping ${abs}: a symbolic link loops back to ${real}`);
      return;
    }
    seen.add(real);
    const st = await stat(abs);
    const entries = await readdir(abs, { withFileTypes: true });
    const files: string[] = [];
    const subdirs: string[] = [];
    for (const e of entries) {
      if (e.isDirectory() || (e.isSymbolicLink() && (await isDir(join(abs, e.name))))) subdirs.push(e.name);
      else files.push(e.name);
    }
    dirs.push({ rel, mtimeMs: st.mtimeMs, files });
    for (const s of subdirs) await walk(join(rel, s));
  };
  await walk(name);
  // Python sorts the os.walk tuples by their root path string.
  dirs.sort((a, b) => compareCodePoints(join(root, a.rel), join(root, b.rel)));
  const files: string[] = [];
  for (const d of dirs) {
    for (const f of d.files.sort(compareCodePoints)) if (hasImageExtension(f)) files.push(join(d.rel, f));
  }
  const bad: [number, string][] = [];
  if (sniff) {
    const problems = await mapLimit(files, 32, (f) => sniffFile(join(root, f)));
    problems.forEach((p, i) => {
      if (p !== null) bad.push([i, p]);
    });
  }
  return { name, dirs: dirs.map((d) => [d.rel, d.mtimeMs]), files, bad, sniffed: sniff };
}

async function classUnchanged(root: string, c: ClassScan): Promise<boolean> {
  for (const [rel, mtimeMs] of c.dirs) {
    try {
      if ((await stat(join(root, rel))).mtimeMs !== mtimeMs) return false;
    } catch {
      return false;
    }
  }
  return true;
}

export function indexCachePath(cacheDir: string, splitRoot: string): string {
  const h = createHash('sha256').update(splitRoot).digest('hex').slice(0, 20);
  return join(cacheDir, `imagefolder-${h}.json`);
}

async function readCache(path: string, root: string): Promise<Map<string, ClassScan>> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as CacheFile;
    if (parsed.version !== CACHE_VERSION || parsed.root !== root || !Array.isArray(parsed.classes)) return new Map();
    return new Map(parsed.classes.map((c) => [c.name, c]));
  } catch {
    return new Map();
  }
}

async function writeCache(path: string, data: CacheFile): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(data));
  await rename(tmp, path);
}

/** Builds (or loads from cache and refreshes) the index of one split folder. */
export async function indexImageFolder(splitRoot: string, opts: IndexOptions): Promise<ImageFolderIndex> {
  const log = opts.log ?? (() => undefined);
  const sniff = opts.sniff ?? true;
  const classes = await findClasses(splitRoot);
  if (opts.classes) {
    const want = new Set(opts.classes);
    const have = new Set(classes);
    const missing = opts.classes.filter((c) => !have.has(c));
    const extra = classes.filter((c) => !want.has(c));
    if (missing.length || extra.length) {
      const parts = [];
      if (missing.length) parts.push(`missing ${missing.length} (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''})`);
      if (extra.length) parts.push(`${extra.length} not in train (${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', …' : ''})`);
      throw new DatasetError(splitRoot, `class folders differ from the train split's: ${parts.join('; ')}`);
    }
  }
  const cachePath = opts.cacheDir ? indexCachePath(opts.cacheDir, splitRoot) : null;
  const cached = cachePath ? await readCache(cachePath, splitRoot) : new Map<string, ClassScan>();
  const scans: ClassScan[] = [];
  let scanned = 0;
  let filesSoFar = 0;
  let nextReport = 100_000;
  for (const name of classes) {
    if (opts.signal?.aborted) throw new DatasetError(splitRoot, 'indexing cancelled');
    const c = cached.get(name);
    let scan: ClassScan;
    if (c && (c.sniffed || !sniff) && (await classUnchanged(splitRoot, c))) {
      scan = c;
    } else {
      scan = await scanClass(splitRoot, name, sniff, log);
      scanned++;
    }
    if (scan.files.length === 0) {
      throw new DatasetError(join(splitRoot, name), `class folder has no image files (extensions ${IMG_EXTENSIONS.join(' ')})`);
    }
    scans.push(scan);
    filesSoFar += scan.files.length;
    if (filesSoFar >= nextReport && scanned > 0) {
      log(`Indexing ${splitRoot}: ${filesSoFar} files in ${scans.length}/${classes.length} classes`);
      nextReport += 100_000;
    }
  }
  if (cachePath && (scanned > 0 || cached.size !== scans.length)) {
    try {
      await mkdir(opts.cacheDir as string, { recursive: true });
      await writeCache(cachePath, { version: CACHE_VERSION, root: splitRoot, classes: scans });
    } catch (e) {
      log(`Could not write the folder index cache ${cachePath}: ${(e as Error).message}`);
    }
  }
  const total = scans.reduce((n, s) => n + s.files.length, 0);
  const files = new Array<string>(total);
  const labels = new Int32Array(total);
  const bad: BadFile[] = [];
  let at = 0;
  scans.forEach((s, label) => {
    for (const [i, reason] of s.bad) bad.push({ index: at + i, path: join(splitRoot, s.files[i]), reason });
    for (let i = 0; i < s.files.length; i++) {
      files[at + i] = s.files[i];
      labels[at + i] = label;
    }
    at += s.files.length;
  });
  return { root: splitRoot, classes, files, labels, bad, fromCache: scanned === 0, scannedClasses: scanned };
}

/** Absolute path of a sample. */
export function samplePath(index: ImageFolderIndex, i: number): string {
  return index.root + sep + index.files[i];
}
