/**
 * An ImageNet-style folder (ROOT/train/<class>/..., ROOT/val/<class>/...) as a Dataset.
 * Labels and sample order follow torchvision's ImageFolder (see image-folder.ts); val uses
 * the train split's class list and must have the same classes.
 */
import { join } from 'node:path';
import { CorruptTracker } from './corrupt-tracker.ts';
import type { Dataset, DatasetSplit } from './dataset.ts';
import { indexImageFolder, samplePath, type ImageFolderIndex } from './image-folder.ts';
import { createBatchExecutor, type BatchExecutor } from './loader-pool.ts';
import { allocatePipelineId, LoadedDataset } from './loaded-dataset.ts';
import { imagenetTrainTransforms, imagenetValTransforms } from './recipes.ts';
import { SplitLoader } from './split-loader.ts';
import { outputShape, validateTransforms, type TransformSpec } from './transforms.ts';

export const DEFAULT_CORRUPT_THRESHOLD = 0.001;

export interface ImageFolderDatasetOptions {
  workers: number;
  log: (msg: string) => void;
  /** Fraction of unreadable files tolerated per split (default 0.001 = 0.1%). */
  corruptThreshold?: number;
  /** Index cache folder; null disables the cache. */
  cacheDir: string | null;
  /** Check every file's signature while indexing (default true). */
  sniff?: boolean;
  transforms?: { train?: TransformSpec[]; val?: TransformSpec[] };
  prefetch?: number;
  signal?: AbortSignal;
}

export async function openImageFolderDataset(root: string, opts: ImageFolderDatasetOptions): Promise<Dataset> {
  const threshold = opts.corruptThreshold ?? DEFAULT_CORRUPT_THRESHOLD;
  const common = { cacheDir: opts.cacheDir, sniff: opts.sniff, log: opts.log, signal: opts.signal };
  const t0 = Date.now();
  const trainIdx = await indexImageFolder(join(root, 'train'), common);
  const valIdx = await indexImageFolder(join(root, 'val'), { ...common, classes: trainIdx.classes });
  for (const idx of [trainIdx, valIdx]) {
    opts.log(
      `Indexed ${idx.root}: ${idx.files.length} images in ${idx.classes.length} classes` +
        (idx.fromCache ? ' (from cache)' : ` (${idx.scannedClasses} classes scanned)`) + ` in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  const trainT = opts.transforms?.train ?? imagenetTrainTransforms();
  const valT = opts.transforms?.val ?? imagenetValTransforms();
  validateTransforms(trainT);
  validateTransforms(valT);
  // Checked before any worker starts, so a hopeless folder fails fast.
  const trackers = [trainIdx, valIdx].map((idx) => {
    const t = new CorruptTracker(idx.root, idx.files.length, threshold, opts.log);
    t.record(idx.bad);
    return t;
  });
  const executor: BatchExecutor = createBatchExecutor(opts.workers);
  const make = (id: string, idx: ImageFolderIndex, transforms: TransformSpec[], tracker: CorruptTracker): SplitLoader => {
    const shape = outputShape(transforms);
    if (!shape) throw new Error(`${id}: the transforms must end in a fixed-size crop so that batches have one shape`);
    const split: DatasetSplit = {
      id,
      size: idx.files.length,
      numClasses: idx.classes.length,
      classNames: idx.classes,
      labels: idx.labels,
      imageShape: shape,
    };
    const pipelineId = allocatePipelineId();
    executor.register({ id: pipelineId, source: { kind: 'files' }, transforms, outShape: shape });
    const schedulable = Int32Array.from({ length: idx.files.length }, (_, i) => i).filter((i) => !tracker.has(i));
    return new SplitLoader({ split, executor, pipelineId, schedulable, pathOf: (i) => samplePath(idx, i), tracker, prefetch: opts.prefetch, log: opts.log });
  };
  return new LoadedDataset(
    'imagefolder',
    make('imagefolder/train', trainIdx, trainT, trackers[0]),
    make('imagefolder/val', valIdx, valT, trackers[1]),
    executor,
    () => make('imagefolder/train', trainIdx, valT, trackers[0]),
  );
}
