/**
 * The official CIFAR archives: download from the authors' site (resumable, md5-checked) or
 * import a copy the user already has, then extract next to the data root.
 */
import { mkdir, mkdtemp, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { downloadFile, md5File, type DownloadProgress } from './archive-download.ts';
import { DatasetError } from '../engine/data/data-errors.ts';
import { CIFAR_TITLE, locateCifar, type CifarFormat, type CifarKind, type CifarLayout } from '../engine/data/cifar-layout.ts';
import { extractTarGz } from './tar-extract.ts';

export interface CifarArchiveInfo {
  readonly kind: CifarKind;
  readonly format: CifarFormat;
  readonly filename: string;
  readonly url: string;
  readonly md5: string;
  /** Bytes of the official file. */
  readonly size: number;
  /** Folder the archive extracts to. */
  readonly folder: string;
}

const BASE_URL = 'https://www.cs.toronto.edu/~kriz/';

export const CIFAR_ARCHIVES: readonly CifarArchiveInfo[] = [
  { kind: 'cifar10', format: 'python', filename: 'cifar-10-python.tar.gz', md5: 'c58f30108f718f92721af3b95e74349a', size: 170498071, folder: 'cifar-10-batches-py' },
  { kind: 'cifar10', format: 'binary', filename: 'cifar-10-binary.tar.gz', md5: 'c32a1d4ab5d03f1284b67883e8d87530', size: 170052171, folder: 'cifar-10-batches-bin' },
  { kind: 'cifar100', format: 'python', filename: 'cifar-100-python.tar.gz', md5: 'eb9058c3a382ffc7106e4002c42a8d85', size: 169001437, folder: 'cifar-100-python' },
  { kind: 'cifar100', format: 'binary', filename: 'cifar-100-binary.tar.gz', md5: '03b5dce01913d631647c71ecec9e9cb8', size: 168513733, folder: 'cifar-100-binary' },
].map((a) => ({ ...a, kind: a.kind as CifarKind, format: a.format as CifarFormat, url: BASE_URL + a.filename }));

export function cifarArchive(kind: CifarKind, format: CifarFormat = 'python'): CifarArchiveInfo {
  const a = CIFAR_ARCHIVES.find((x) => x.kind === kind && x.format === format);
  if (!a) throw new RangeError(`no archive for ${kind}/${format}`);
  return a;
}

export interface CifarDownloadOptions {
  format?: CifarFormat;
  /** Another location of the same archive (a mirror; tests serve one locally). */
  url?: string;
  /** Expected md5; defaults to the official archive's, `false` skips the check. */
  md5?: string | false;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
  retries?: number;
  retryDelayMs?: number;
  log?: (msg: string) => void;
  /** Keep the .tar.gz after extraction (default false). */
  keepArchive?: boolean;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes CIFAR available under `root`: returns at once when it already is, else downloads
 * the official archive into `root` (resuming a previous partial download) and extracts it.
 */
export async function downloadCifar(kind: CifarKind, root: string, opts: CifarDownloadOptions = {}): Promise<CifarLayout> {
  try {
    return await locateCifar(kind, root);
  } catch {
    // not there yet: download
  }
  const info = cifarArchive(kind, opts.format ?? 'python');
  await mkdir(root, { recursive: true });
  const archive = join(root, info.filename);
  const url = opts.url ?? info.url;
  opts.log?.(`Downloading ${CIFAR_TITLE[kind]} from ${url} to ${archive}`);
  await downloadFile(url, archive, {
    md5: opts.md5 === false ? undefined : (opts.md5 ?? info.md5),
    onProgress: opts.onProgress,
    signal: opts.signal,
    retries: opts.retries,
    retryDelayMs: opts.retryDelayMs,
    offlineHint:
      `Download ${info.url} (md5 ${info.md5}) on a connected computer and use "Import a local archive" with that file.`,
  });
  const layout = await importCifarArchive(kind, archive, root, { md5: false, signal: opts.signal, log: opts.log });
  if (!opts.keepArchive) await rm(archive, { force: true });
  return layout;
}

export interface CifarImportOptions {
  /** 'official' (default): the archive's md5 must be one of the official ones; a string: that md5; false: no check. */
  md5?: 'official' | string | false;
  /** Expected bytes with a non-official md5 (a mirror's archive); the official sizes otherwise. */
  size?: number;
  signal?: AbortSignal;
  log?: (msg: string) => void;
}

/** Bytes that open a gzip stream, and where a POSIX tar header says `ustar`. */
const GZIP_MAGIC = [0x1f, 0x8b];
const USTAR_OFFSET = 257;

/**
 * Checks that a file someone named is an archive of the expected size (gzip or tar magic)
 * before a byte of it is hashed or extracted, and answers the same for a missing file, a folder
 * and any other content: a client of the API learns nothing about paths that are not dataset
 * archives. Returns the file's size.
 */
export async function checkDatasetArchive(kind: CifarKind, archivePath: string, expectedSizes: readonly number[] | null): Promise<number> {
  const refused = () => new DatasetError(archivePath, `not a ${CIFAR_TITLE[kind]} dataset archive (expected the official .tar.gz file)`);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(archivePath, 'r');
    const st = await handle.stat();
    if (!st.isFile() || (expectedSizes !== null && !expectedSizes.includes(st.size))) throw refused();
    const head = Buffer.alloc(USTAR_OFFSET + 5);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const gzip = bytesRead >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
    const tar = bytesRead === head.length && head.subarray(USTAR_OFFSET).toString('latin1') === 'ustar';
    if (!gzip && !tar) throw refused();
    return st.size;
  } catch (err) {
    if (err instanceof DatasetError) throw err;
    throw refused();
  } finally {
    await handle?.close();
  }
}

/** Extracts a local CIFAR .tar.gz into `root` (no network). */
export async function importCifarArchive(kind: CifarKind, archivePath: string, root: string, opts: CifarImportOptions = {}): Promise<CifarLayout> {
  const title = CIFAR_TITLE[kind];
  const check = opts.md5 ?? 'official';
  let size: number;
  if (check !== false) {
    const sizes = check === 'official' ? CIFAR_ARCHIVES.filter((a) => a.kind === kind).map((a) => a.size) : opts.size !== undefined ? [opts.size] : null;
    size = await checkDatasetArchive(kind, archivePath, sizes);
    opts.log?.(`Checking md5 of ${archivePath} (${(size / 1e6).toFixed(1)} MB)`);
    const md5 = await md5File(archivePath);
    const official = CIFAR_ARCHIVES.filter((a) => a.kind === kind);
    const ok = check === 'official' ? official.some((a) => a.md5 === md5) : md5 === check.toLowerCase();
    if (!ok) {
      const wanted = check === 'official' ? official.map((a) => `${a.filename} ${a.md5}`).join(' or ') : check;
      throw new DatasetError(archivePath, `md5 is ${md5}, expected ${wanted}: not the official ${title} archive, or a damaged copy`);
    }
  } else {
    try {
      const s = await stat(archivePath);
      if (!s.isFile()) throw new DatasetError(archivePath, 'is not a file (expected a .tar.gz archive)');
      size = s.size;
    } catch (e) {
      if (e instanceof DatasetError) throw e;
      throw new DatasetError(archivePath, 'archive file does not exist');
    }
  }
  await mkdir(root, { recursive: true });
  const tmp = await mkdtemp(join(root, '.extract-'));
  try {
    opts.log?.(`Extracting ${basename(archivePath)} into ${root}`);
    const res = await extractTarGz(archivePath, tmp, { signal: opts.signal });
    const known = CIFAR_ARCHIVES.filter((a) => a.kind === kind).map((a) => a.folder);
    const folders = res.topLevel.filter((t) => known.includes(t));
    if (folders.length === 0) {
      throw new DatasetError(archivePath, `holds ${res.topLevel.join(', ') || 'nothing'}, not a ${title} folder (${known.join(' or ')})`);
    }
    for (const f of folders) {
      const target = join(root, f);
      if (await exists(target)) {
        throw new DatasetError(target, 'already exists; remove it (or choose another folder) to import this archive again');
      }
      await rename(join(tmp, f), target);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const layout = await locateCifar(kind, root);
  // Surface leftovers of interrupted imports in the log rather than deleting user files.
  const stray = (await readdir(root)).filter((n) => n.startsWith('.extract-'));
  if (stray.length) opts.log?.(`Note: ${root} holds leftovers of interrupted imports: ${stray.join(', ')}`);
  return layout;
}
