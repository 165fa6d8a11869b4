/**
 * The reference CLI's positional DATAPATH: which kind of dataset a folder holds. A CIFAR
 * folder (cifar-10-batches-py/-bin, cifar-100-python/-binary) or the folder holding one is
 * CIFAR; a folder with train/ and val/ is an ImageFolder root (ImageNet layout).
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { FOLDER_DATASET_KINDS, type FolderDatasetKind } from '../../shared/run-config.ts';
import { CIFAR_KIND_OF_FOLDER } from '../engine/data/cifar-layout.ts';


export interface InferredDataset {
  kind: FolderDatasetKind;
  root: string;
}

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
export async function inferDataPath(dataPath: string, forced?: FolderDatasetKind): Promise<InferredDataset> {
  const root = resolve(dataPath);
  let st;
  try {
    st = await stat(root);
  } catch {
    throw new DataPathError(`DATAPATH: ${root}: folder does not exist`);
  }
  if (!st.isDirectory()) throw new DataPathError(`DATAPATH: ${root}: is a file, not a folder (for a CIFAR archive use \`snca data import\`)`);
  if (forced) return { kind: forced, root };
  const own = CIFAR_KIND_OF_FOLDER.get(basename(root));
  if (own) return { kind: own, root };
  const names = await readdir(root);
  const kinds = new Set<FolderDatasetKind>();
  for (const n of names) {
    const k = CIFAR_KIND_OF_FOLDER.get(n);
    if (k && (await isDir(`${root}/${n}`))) kinds.add(k);
  }
  const imageFolder = (await isDir(`${root}/train`)) && (await isDir(`${root}/val`));
  if (imageFolder) kinds.add('imagefolder');
  if (kinds.size === 1) return { kind: [...kinds][0]!, root };
  if (kinds.size > 1) {
    throw new DataPathError(`DATAPATH: ${root}: holds more than one dataset (${[...kinds].join(', ')}); choose one with --dataset ${FOLDER_DATASET_KINDS.join('|')}`);
  }
  throw new DataPathError(
    `DATAPATH: ${root}: neither a CIFAR folder (${[...CIFAR_KIND_OF_FOLDER.keys()].join(', ')}, or the folder holding one) nor an ImageFolder root with train/ and val/; use --dataset ${FOLDER_DATASET_KINDS.join('|')} to say which`,
  );
}
