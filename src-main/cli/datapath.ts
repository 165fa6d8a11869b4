/**
 * The reference CLI's positional DATAPATH: which kind of dataset a folder holds. A CIFAR
 * folder (cifar-10-batches-py/-bin, cifar-100-python/-binary) or the folder holding one is
 * CIFAR; a folder with train/ and val/ is an ImageFolder root (ImageNet layout).
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';

export const FORCEABLE_KINDS = ['cifar10', 'cifar100', 'imagefolder'] as const;
export type DataPathKind = (typeof FORCEABLE_KINDS)[number];

export interface InferredDataset {
  kind: DataPathKind;
  root: string;
}

const CIFAR_FOLDERS: Record<string, DataPathKind> = {
  'cifar-10-batches-py': 'cifar10',
  'cifar-10-batches-bin': 'cifar10',
  'cifar-100-python': 'cifar100',
  'cifar-100-binary': 'cifar100',
};

export class DataPathError extends Error {
  override readonly name = 'DataPathError';
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Resolves DATAPATH to a dataset kind and root; `forced` (--dataset) skips the guess. */
export async function inferDataPath(dataPath: string, forced?: DataPathKind): Promise<InferredDataset> {
  const root = resolve(dataPath);
  let st;
  try {
    st = await stat(root);
  } catch {
    throw new DataPathError(`DATAPATH: ${root}: folder does not exist`);
  }
  if (!st.isDirectory()) throw new DataPathError(`DATAPATH: ${root}: is a file, not a folder (for a CIFAR archive use \`snca data import\`)`);
  if (forced) return { kind: forced, root };
  const own = CIFAR_FOLDERS[basename(root)];
  if (own) return { kind: own, root };
  const names = await readdir(root);
  const kinds = new Set<DataPathKind>();
  for (const n of names) {
    const k = CIFAR_FOLDERS[n];
    if (k && (await isDir(`${root}/${n}`))) kinds.add(k);
  }
  const imageFolder = (await isDir(`${root}/train`)) && (await isDir(`${root}/val`));
  if (imageFolder) kinds.add('imagefolder');
  if (kinds.size === 1) return { kind: [...kinds][0]!, root };
  if (kinds.size > 1) {
    throw new DataPathError(`DATAPATH: ${root}: holds more than one dataset (${[...kinds].join(', ')}); choose one with --dataset ${FORCEABLE_KINDS.join('|')}`);
  }
  throw new DataPathError(
    `DATAPATH: ${root}: neither a CIFAR folder (${Object.keys(CIFAR_FOLDERS).join(', ')}, or the folder holding one) nor an ImageFolder root with train/ and val/; use --dataset ${FORCEABLE_KINDS.join('|')} to say which`,
  );
}
