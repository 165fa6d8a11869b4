/**
 * Computing a gallery's feature banks: every image of a dataset's train split (the bank)
 * and val split (so val images can be queries) embedded with one feature source, in split
 * order, L2-normalised, written with their labels as plain files:
 *   train.f32 / val.f32   float32 LE rows [n, dim]
 *   train.i32 / val.i32   int32 LE labels [n]
 *   bank.json             { dim, trainRows, valRows, classNames } — written last, so its
 *                         presence means the bank is complete.
 * Row i of train.f32 is the i-th image of the train split in the dataset's canonical
 * order (ImageFolder: sorted class folders, sorted files, as torchvision's ImageFolder).
 *
 * Sources: a checkpoint of ours (its model in eval mode), an imported model (its weights in
 * eval mode; its imported bank is linked as train.f32, only the val split is embedded), or
 * the raw-image baseline: the normalised pixels average-pooled to at most 16 px a side,
 * flattened, L2-normalised.
 * Both splits go through the val transforms (no augmentation): an imported model's own
 * architecture's (valTransformsOf), else the dataset's.
 */
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { Arch, DatasetSpecInput } from '../../../shared/run-config.ts';
import { describeIssues, issuesOf } from '../../../shared/validation.ts';
import { writeFileAtomic } from '../checkpoint/atomic-file.ts';
import { readCheckpoint } from '../checkpoint/checkpoint-reader.ts';
import type { BatchLoader, ImageShape } from '../data/dataset.ts';
import type { DatasetReaders } from '../data/dataset-readers.ts';
import { openDataset } from '../data/open-dataset.ts';
import { cifarValTransforms, imagenetValTransforms } from '../data/recipes.ts';
import type { TransformSpec } from '../data/transforms.ts';
import { modelFromCheckpoint } from './checkpoint-evaluation.ts';
import { loadImportedNetwork, modelOfNetwork, valTransformOf } from './image-embedding.ts';

export type FeatureSourceSpec =
  | { kind: 'checkpoint'; checkpointPath: string; expectedSha256: string | null }
  | { kind: 'raw' }
  /** An imported model: its weights and recorded config (models/<id>/weights.safetensors). */
  | { kind: 'model'; weightsPath: string; arch: Arch; config: { lowDim: number; width: number } };

/** A train bank that already exists (an imported model's): rows × dim float32 LE, row i = train image i. */
export interface ExistingTrainBank {
  file: string;
  rows: number;
  dim: number;
}

export const BANK_META_FILE = 'bank.json';
/** Side the raw baseline pools images down to (at most). */
export const RAW_SIDE = 16;

export const BankMetaSchema = z.object({
  dim: z.int().min(1),
  trainRows: z.int().min(0),
  valRows: z.int().min(0),
  classNames: z.array(z.string()),
});
export type BankMeta = z.infer<typeof BankMetaSchema>;

export type BankSplit = 'train' | 'val';

export function bankFiles(dir: string, split: BankSplit): { features: string; labels: string } {
  return { features: join(dir, `${split}.f32`), labels: join(dir, `${split}.i32`) };
}

/** The bank's description, or null when the folder holds no complete bank. */
export function readBankMeta(dir: string): BankMeta | null {
  const file = join(dir, BANK_META_FILE);
  if (!existsSync(file)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const parsed = BankMetaSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${file}: ${describeIssues(issuesOf(parsed.error))}`);
  return parsed.data;
}

export interface FeatureExtractor {
  embed(images: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

export function extractorFor(source: FeatureSourceSpec, inputShape: ImageShape): FeatureExtractor {
  if (source.kind === 'raw') {
    const factor = Math.max(1, Math.floor(Math.max(inputShape[0], inputShape[1]) / RAW_SIDE));
    return {
      embed: (images) =>
        tf.tidy(() => {
          const pooled = factor > 1 ? tf.avgPool(images, factor, factor, 'valid') : images;
          const flat = tf.reshape(pooled, [images.shape[0], -1]) as tf.Tensor2D;
          return tf.div(flat, tf.maximum(tf.norm(flat, 2, 1, true), 1e-12)) as tf.Tensor2D;
        }),
      dispose: () => {},
    };
  }
  if (source.kind === 'model') {
    const model = modelOfNetwork(loadImportedNetwork(source), inputShape);
    return { embed: (images) => tf.tidy(() => model.apply(images, false)), dispose: () => model.dispose() };
  }
  const ckpt = readCheckpoint(source.checkpointPath, source.expectedSha256 ? { expectedSha256: source.expectedSha256 } : {});
  const model = modelFromCheckpoint(ckpt, source.checkpointPath, inputShape);
  return {
    // The model ends in its own L2 normalisation (the reference's Normalize layer).
    embed: (images) => tf.tidy(() => model.apply(images, false)),
    dispose: () => model.dispose(),
  };
}

export interface GalleryBankHooks {
  progress(done: number, total: number): void;
  log(message: string): void;
  cancelRequested(): boolean;
}

/**
 * Embeds the train and val splits of `dataset` with `source` into `dir` (replacing any
 * bank there). With `trainBank` the train split is not embedded: train.f32 links to that
 * file, whose row count must be the split's. Returns its description, or 'cancelled'
 * (nothing is left behind then).
 */
export async function computeGalleryBank(
  spec: { source: FeatureSourceSpec; dataset: DatasetSpecInput; dir: string; batchSize?: number; readers?: DatasetReaders; trainBank?: ExistingTrainBank },
  hooks: GalleryBankHooks,
): Promise<BankMeta | 'cancelled'> {
  const dataset = await openDataset(spec.dataset, {
    workers: 0,
    log: hooks.log,
    ...(spec.readers ? { readers: spec.readers } : {}),
    // The train split is embedded as the val split is: no augmentation.
    transforms: valTransformsOf(spec.dataset, spec.source),
  });
  const work = `${spec.dir}.partial`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const train = dataset.train.split;
    const val = dataset.val.split;
    const existing = spec.trainBank;
    if (existing && existing.rows !== train.size) {
      throw new Error(`${existing.file} has ${existing.rows} rows but the train split has ${train.size} images: bank row i must be train image i`);
    }
    const extractor = extractorFor(spec.source, train.imageShape);
    const total = (existing ? 0 : train.size) + val.size;
    let done = 0;
    let dim = existing?.dim ?? 0;
    try {
      if (existing) {
        const files = bankFiles(work, 'train');
        linkBank(existing.file, files.features);
        const labels = dataset.train.split.labels;
        writeFileAtomic(files.labels, [new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength)]);
      }
      const splits = existing ? ([['val', dataset.val]] as const) : ([['train', dataset.train], ['val', dataset.val]] as const);
      for (const [split, loader] of splits) {
        const parts = await embedLoader(loader, extractor, spec.batchSize ?? 128, hooks, (n) => {
          done += n;
          hooks.progress(done, total);
        });
        if (parts === 'cancelled') return 'cancelled';
        if (existing && parts.dim && parts.dim !== existing.dim) throw new Error(`the model embeds ${parts.dim} features but its bank rows have ${existing.dim}`);
        dim = parts.dim || dim;
        const files = bankFiles(work, split);
        writeFileAtomic(files.features, parts.rows.map((r) => new Uint8Array(r.buffer, r.byteOffset, r.byteLength)));
        const labels = loader.split.labels;
        writeFileAtomic(files.labels, [new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength)]);
      }
    } finally {
      extractor.dispose();
    }
    const meta: BankMeta = { dim, trainRows: train.size, valRows: val.size, classNames: [...train.classNames] };
    writeFileAtomic(join(work, BANK_META_FILE), [new TextEncoder().encode(JSON.stringify(meta))]);
    rmSync(spec.dir, { recursive: true, force: true });
    renameSync(work, spec.dir);
    return meta;
  } finally {
    rmSync(work, { recursive: true, force: true });
    await dataset.close();
  }
}

/** `link` refers to `target` without copying it (a symbolic link, else a hard link). */
export function linkBank(target: string, link: string): void {
  rmSync(link, { force: true });
  try {
    symlinkSync(target, link);
  } catch {
    linkSync(target, link);
  }
}

/**
 * The val transform both splits go through: an imported model's own (its architecture's:
 * the ImageNet one, or Normalize only on 32×32 for a CIFAR network, whatever the folder);
 * otherwise the dataset's.
 */
export function valTransformsOf(dataset: DatasetSpecInput, source: FeatureSourceSpec): { train: TransformSpec[]; val?: TransformSpec[] } | undefined {
  if (source.kind === 'model') {
    const specs = valTransformOf(source.arch).specs;
    return { train: specs, val: specs };
  }
  switch (dataset.kind) {
    case 'imagefolder':
      return { train: imagenetValTransforms() };
    case 'cifar10':
    case 'cifar100':
      return { train: cifarValTransforms() };
    default:
      return undefined;
  }
}

async function embedLoader(
  loader: BatchLoader,
  extractor: FeatureExtractor,
  batchSize: number,
  hooks: GalleryBankHooks,
  advanced: (n: number) => void,
): Promise<{ rows: Float32Array[]; dim: number } | 'cancelled'> {
  const rows: Float32Array[] = [];
  let dim = 0;
  let next = 0;
  for await (const batch of loader.epoch({ epoch: 0, batchSize, shuffle: false, dropLast: false, seed: 0 })) {
    if (hooks.cancelRequested()) return 'cancelled';
    for (let i = 0; i < batch.indexes.length; i++) {
      if (batch.indexes[i] !== next + i) throw new Error(`${loader.split.id}: batch out of order (row ${batch.indexes[i]} where ${next + i} was expected)`);
    }
    next += batch.indexes.length;
    const input = tf.tensor4d(batch.images, [...batch.shape]);
    try {
      const out = extractor.embed(input);
      dim = out.shape[1];
      rows.push((await out.data()) as Float32Array);
      out.dispose();
    } finally {
      input.dispose();
    }
    advanced(batch.indexes.length);
    await new Promise<void>((r) => setImmediate(r));
  }
  if (next !== loader.split.size) throw new Error(`${loader.split.id}: ${next} of ${loader.split.size} images were embedded`);
  return { rows, dim };
}
