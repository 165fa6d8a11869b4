/**
 * The one entry point the trainer uses: a dataset spec (as stored in a run's config) to an
 * open Dataset, plus a quick layout check to run before a job is queued.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { DatasetSpecSchema, type DatasetSpecInput } from '../../../shared/run-config.ts';
import { cifarBinaryRecordBytes } from './cifar-binary.ts';
import { openCifarDataset } from './cifar-dataset.ts';
import { CIFAR_TITLE, locateCifar, type CifarKind } from './cifar-layout.ts';
import { DatasetError, NoDatasetError } from './data-errors.ts';
import type { Dataset } from './dataset.ts';
import type { DatasetReaders } from './dataset-readers.ts';
import { compareCodePoints, findClasses, hasImageExtension, IMG_EXTENSIONS } from './image-folder.ts';
import { openImageFolderDataset } from './image-folder-dataset.ts';
import { openMnist } from './mnist.ts';
import type { TransformSpec } from './transforms.ts';

/** The schema lives in the contract (shared/run-config.ts) so the GUI, CLI and stored runs share it. */
export { DatasetSpecSchema };
export type DatasetSpec = DatasetSpecInput;

export interface OpenDatasetOptions {
  /** Loader threads (the reference's -j); 0 decodes on the calling thread. */
  workers: number;
  log: (msg: string) => void;
  /** Where ImageFolder indexes are cached (default: defaultIndexCacheDir()); null disables it. */
  cacheDir?: string | null;
  /** Override the recipe's transforms. */
  transforms?: { train?: TransformSpec[]; val?: TransformSpec[] };
  /** Batches in flight per loader (default max(2, 2 × workers)). */
  prefetch?: number;
  signal?: AbortSignal;
  /** Readers of formats the engine does not own (acquire/'s pickle reader for CIFAR python). */
  readers?: DatasetReaders;
}

/** `$SNCA_HOME/cache/datasets`, or a folder in the OS temp dir when SNCA_HOME is not set. */
export function defaultIndexCacheDir(): string {
  const home = process.env.SNCA_HOME;
  return home ? join(home, 'cache', 'datasets') : join(tmpdir(), 'snca-studio-cache', 'datasets');
}

function parseSpec(spec: DatasetSpec): z.output<typeof DatasetSpecSchema> {
  const parsed = DatasetSpecSchema.safeParse(spec);
  if (!parsed.success) {
    throw new DatasetError('dataset', parsed.error.issues.map((i) => `${i.path.join('.') || 'spec'}: ${i.message}`).join('; '));
  }
  return parsed.data;
}

export async function openDataset(spec: DatasetSpec, opts: OpenDatasetOptions): Promise<Dataset> {
  const s = parseSpec(spec);
  switch (s.kind) {
    case 'mnist':
      return openMnist(s);
    case 'cifar10':
    case 'cifar100':
      return openCifarDataset(s.kind, s.root, { workers: opts.workers, log: opts.log, transforms: opts.transforms, prefetch: opts.prefetch, readers: opts.readers });
    case 'imagefolder':
      return openImageFolderDataset(s.root, {
        workers: opts.workers,
        log: opts.log,
        corruptThreshold: s.corruptThreshold,
        cacheDir: opts.cacheDir === undefined ? defaultIndexCacheDir() : opts.cacheDir,
        transforms: opts.transforms,
        prefetch: opts.prefetch,
        signal: opts.signal,
      });
  }
}

async function statOrNull(path: string): Promise<Awaited<ReturnType<typeof stat>> | null> {
  try {
    return await stat(path);
  } catch {
    return null;
  }
}

async function validateCifar(kind: CifarKind, root: string): Promise<void> {
  const layout = await locateCifar(kind, root);
  const title = CIFAR_TITLE[kind];
  for (const file of [...layout.trainFiles, ...layout.testFiles]) {
    const st = await stat(file);
    if (layout.format === 'binary') {
      const rec = cifarBinaryRecordBytes(kind);
      if (st.size === 0 || st.size % rec !== 0) {
        throw new DatasetError(file, `size ${st.size} bytes is not a whole number of ${rec}-byte ${title} records: the file is truncated or not a ${title} binary batch`);
      }
    } else {
      const fh = await open(file, 'r');
      try {
        const head = new Uint8Array(2);
        await fh.read(head, 0, 2, 0);
        if (head[0] !== 0x80 || head[1] < 2) throw new DatasetError(file, `not a ${title} python batch (not a binary pickle)`);
      } finally {
        await fh.close();
      }
    }
  }
}

/** Whether a class folder holds at least one file with an image extension (searching sub-folders). */
async function hasAnyImage(dir: string, depth = 0): Promise<boolean> {
  const entries = await readdir(dir, { withFileTypes: true });
  const subdirs: string[] = [];
  for (const e of entries) {
    // Symbolic links are followed, as torchvision's os.walk(followlinks=True) does.
    const isDir = e.isDirectory() || (e.isSymbolicLink() && ((await statOrNull(join(dir, e.name)))?.isDirectory() ?? false));
    if (isDir) subdirs.push(e.name);
    else if (hasImageExtension(e.name)) return true;
  }
  if (depth > 32) return false; // a link cycle: the full index reports it
  for (const name of subdirs.sort(compareCodePoints)) {
    if (await hasAnyImage(join(dir, name), depth + 1)) return true;
  }
  return false;
}

async function validateImageFolder(root: string): Promise<void> {
  const st = await statOrNull(root);
  if (!st) throw new NoDatasetError(root, 'folder does not exist');
  if (!st.isDirectory()) throw new NoDatasetError(root, 'is a file; expected a folder holding train/ and val/');
  const layoutHint = 'expected ROOT/train/<class>/<images> and ROOT/val/<class>/<images>';
  let trainClasses: string[] | null = null;
  for (const split of ['train', 'val'] as const) {
    const dir = join(root, split);
    const s = await statOrNull(dir);
    if (!s || !s.isDirectory()) {
      let hint = '';
      if (split === 'train') {
        const inner = await findClasses(root).catch(() => [] as string[]);
        if (inner.length > 0 && !inner.includes('val')) hint = ` (this folder holds class folders directly: point to the folder above it, which must hold train/ and val/)`;
      }
      if (split === 'train') throw new NoDatasetError(root, `no train/ folder; ${layoutHint}${hint}`);
      throw new DatasetError(root, `no val/ folder; ${layoutHint}`);
    }
    const classes = await findClasses(dir);
    const empty: string[] = [];
    for (const c of classes) if (!(await hasAnyImage(join(dir, c)))) empty.push(c);
    if (empty.length) {
      const where = empty.length === 1 ? join(dir, empty[0]) : dir;
      throw new DatasetError(where, `${empty.length === 1 ? 'class folder has' : `${empty.length} class folders have`} no image files (extensions ${IMG_EXTENSIONS.join(' ')})${empty.length > 1 ? ': ' + empty.slice(0, 10).join(', ') : ''}`);
    }
    if (trainClasses === null) trainClasses = classes;
    else {
      const missing = trainClasses.filter((c) => !classes.includes(c));
      const extra = classes.filter((c) => !(trainClasses as string[]).includes(c));
      if (missing.length || extra.length) {
        throw new DatasetError(dir, `class folders differ from train/: ${[missing.length ? `missing ${missing.slice(0, 5).join(', ')}` : '', extra.length ? `not in train/: ${extra.slice(0, 5).join(', ')}` : ''].filter(Boolean).join('; ')}`);
      }
    }
  }
}

/**
 * Quick checks of the data layout (seconds, not the full index): throws a DatasetError naming
 * the path and the problem. Unreadable individual images are found when the dataset is opened.
 */
export async function validateDatasetSpec(spec: DatasetSpec): Promise<void> {
  const s = parseSpec(spec);
  if (s.kind === 'imagefolder') await validateImageFolder(s.root);
  else if (s.kind !== 'mnist') await validateCifar(s.kind, s.root);
}
