/**
 * Where CIFAR files live and what they are called in the official archives (binary and
 * python versions), plus the published label names as a fallback when a meta file is absent.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CifarFormat } from '../../../shared/datasets.ts';
import type { CifarKind } from '../../../shared/run-config.ts';
import { DatasetError, NoDatasetError } from './data-errors.ts';

export type { CifarKind, CifarFormat };

export const CIFAR_IMAGE_BYTES = 32 * 32 * 3;

export interface CifarLayout {
  readonly kind: CifarKind;
  readonly format: CifarFormat;
  /** The folder holding the batch files. */
  readonly dir: string;
  /** In the order torchvision concatenates them. */
  readonly trainFiles: readonly string[];
  readonly testFiles: readonly string[];
  /** Label-name file, if the folder has one. */
  readonly metaFile: string | null;
}

interface FolderRule {
  readonly folder: string;
  readonly format: CifarFormat;
  readonly train: readonly string[];
  readonly test: readonly string[];
  readonly meta: string;
}

const RULES: Record<CifarKind, readonly FolderRule[]> = {
  cifar10: [
    {
      folder: 'cifar-10-batches-bin',
      format: 'binary',
      train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`),
      test: ['test_batch.bin'],
      meta: 'batches.meta.txt',
    },
    {
      folder: 'cifar-10-batches-py',
      format: 'python',
      train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}`),
      test: ['test_batch'],
      meta: 'batches.meta',
    },
  ],
  cifar100: [
    { folder: 'cifar-100-binary', format: 'binary', train: ['train.bin'], test: ['test.bin'], meta: 'fine_label_names.txt' },
    { folder: 'cifar-100-python', format: 'python', train: ['train'], test: ['test'], meta: 'meta' },
  ],
};

export const CIFAR_TITLE: Record<CifarKind, string> = { cifar10: 'CIFAR-10', cifar100: 'CIFAR-100' };

/** Official split sizes, to warn when a folder holds something else. */
export const CIFAR_SPLIT_SIZES = { train: 50000, test: 10000 } as const;

export const CIFAR10_LABEL_NAMES: readonly string[] = [
  'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck',
];

export const CIFAR100_LABEL_NAMES: readonly string[] = [
  'apple', 'aquarium_fish', 'baby', 'bear', 'beaver', 'bed', 'bee', 'beetle', 'bicycle', 'bottle',
  'bowl', 'boy', 'bridge', 'bus', 'butterfly', 'camel', 'can', 'castle', 'caterpillar', 'cattle',
  'chair', 'chimpanzee', 'clock', 'cloud', 'cockroach', 'couch', 'crab', 'crocodile', 'cup', 'dinosaur',
  'dolphin', 'elephant', 'flatfish', 'forest', 'fox', 'girl', 'hamster', 'house', 'kangaroo', 'keyboard',
  'lamp', 'lawn_mower', 'leopard', 'lion', 'lizard', 'lobster', 'man', 'maple_tree', 'motorcycle', 'mountain',
  'mouse', 'mushroom', 'oak_tree', 'orange', 'orchid', 'otter', 'palm_tree', 'pear', 'pickup_truck', 'pine_tree',
  'plain', 'plate', 'poppy', 'porcupine', 'possum', 'rabbit', 'raccoon', 'ray', 'road', 'rocket',
  'rose', 'sea', 'seal', 'shark', 'shrew', 'skunk', 'skyscraper', 'snail', 'snake', 'spider',
  'squirrel', 'streetcar', 'sunflower', 'sweet_pepper', 'table', 'tank', 'telephone', 'television', 'tiger', 'tractor',
  'train', 'trout', 'tulip', 'turtle', 'wardrobe', 'whale', 'willow_tree', 'wolf', 'woman', 'worm',
];

export function cifarClassCount(kind: CifarKind): number {
  return kind === 'cifar10' ? 10 : 100;
}

export function defaultCifarLabelNames(kind: CifarKind): readonly string[] {
  return kind === 'cifar10' ? CIFAR10_LABEL_NAMES : CIFAR100_LABEL_NAMES;
}

async function kindOf(path: string): Promise<'file' | 'dir' | null> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : null;
  } catch {
    return null;
  }
}

/** The kind each official extracted folder name holds (`cifar-10-batches-py` → cifar10, …). */
export const CIFAR_KIND_OF_FOLDER: ReadonlyMap<string, CifarKind> = new Map(
  (Object.entries(RULES) as [CifarKind, readonly FolderRule[]][]).flatMap(([kind, rules]) => rules.map((r) => [r.folder, kind] as const)),
);

/**
 * Finds the CIFAR files under `root`: `root` may be the folder that holds
 * `cifar-10-batches-py/` (or the binary folder), or that folder itself.
 */
export async function locateCifar(kind: CifarKind, root: string): Promise<CifarLayout> {
  const title = CIFAR_TITLE[kind];
  const rootKind = await kindOf(root);
  if (rootKind === null) throw new NoDatasetError(root, `folder does not exist (expected the ${title} data folder)`);
  if (rootKind !== 'dir') throw new NoDatasetError(root, `is a file, not a folder; for an archive use "import a local archive"`);
  for (const rule of RULES[kind]) {
    for (const dir of [join(root, rule.folder), root]) {
      if ((await kindOf(dir)) !== 'dir') continue;
      const present = await Promise.all([...rule.train, ...rule.test].map(async (f) => (await kindOf(join(dir, f))) === 'file'));
      if (!present.some(Boolean)) continue;
      const missing = [...rule.train, ...rule.test].filter((_, i) => !present[i]);
      if (missing.length > 0) {
        throw new DatasetError(dir, `the ${title} ${rule.format} folder is incomplete: missing ${missing.join(', ')}`);
      }
      const meta = join(dir, rule.meta);
      return {
        kind,
        format: rule.format,
        dir,
        trainFiles: rule.train.map((f) => join(dir, f)),
        testFiles: rule.test.map((f) => join(dir, f)),
        metaFile: (await kindOf(meta)) === 'file' ? meta : null,
      };
    }
  }
  const expected = RULES[kind].map((r) => `${r.folder}/`).join(' or ');
  throw new NoDatasetError(root, `no ${title} data found: expected ${expected} (as extracted from the official archive) inside this folder`);
}

/** Copies `count` images from CIFAR's planar layout (1024 R, 1024 G, 1024 B) into HWC. */
export function planarToHwc(src: Uint8Array, srcOffset: number, srcStride: number, dst: Uint8Array, dstOffset: number, count: number): void {
  for (let n = 0; n < count; n++) {
    const s = srcOffset + n * srcStride;
    const d = dstOffset + n * CIFAR_IMAGE_BYTES;
    for (let p = 0; p < 1024; p++) {
      dst[d + p * 3] = src[s + p];
      dst[d + p * 3 + 1] = src[s + 1024 + p];
      dst[d + p * 3 + 2] = src[s + 2048 + p];
    }
  }
}

/** Pixels (HWC, 32×32×3 per image) and labels of one split. */
export interface CifarSplitData {
  readonly count: number;
  /** Backed by a SharedArrayBuffer so loader workers read it without a copy. */
  readonly pixels: Uint8Array;
  readonly labels: Int32Array;
}

export function sharedPixels(count: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(count * CIFAR_IMAGE_BYTES));
}
