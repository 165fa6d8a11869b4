/**
 * CIFAR-10 / CIFAR-100 as a Dataset: both splits loaded into shared memory once (150 MB for
 * the train split), augmented by the loader workers without copying the pixels to them.
 * Train = data_batch_1..5 (or train) in file order, val = test_batch (or test), as torchvision.
 */
import { readCifarBinary, readCifarBinaryLabelNames } from './cifar-binary.ts';
import {
  CIFAR_SPLIT_SIZES,
  CIFAR_TITLE,
  cifarClassCount,
  defaultCifarLabelNames,
  locateCifar,
  type CifarKind,
  type CifarLayout,
  type CifarSplitData,
} from './cifar-layout.ts';
import { DatasetError } from './data-errors.ts';
import type { Dataset, DatasetSplit } from './dataset.ts';
import type { CifarFormatReader, DatasetReaders } from './dataset-readers.ts';
import { createBatchExecutor } from './loader-pool.ts';
import { allocatePipelineId, LoadedDataset } from './loaded-dataset.ts';
import { cifarTrainTransforms, cifarValTransforms } from './recipes.ts';
import { SplitLoader } from './split-loader.ts';
import { outputShape, validateTransforms, type TransformSpec } from './transforms.ts';

export interface CifarDatasetOptions {
  workers: number;
  log: (msg: string) => void;
  transforms?: { train?: TransformSpec[]; val?: TransformSpec[] };
  /** Batches in flight per loader. */
  prefetch?: number;
  /** Readers of formats the engine does not own (the python version). */
  readers?: DatasetReaders;
}

const binaryReader: CifarFormatReader = {
  readSplit: readCifarBinary,
  readLabelNames: (_kind, file) => readCifarBinaryLabelNames(file),
};

function formatReader(layout: CifarLayout, readers: DatasetReaders | undefined): CifarFormatReader {
  if (layout.format === 'binary') return binaryReader;
  if (readers?.cifarPython) return readers.cifarPython;
  throw new DatasetError(layout.dir, `holds the ${CIFAR_TITLE[layout.kind]} python version, and no pickle reader was given to the engine here to read it`);
}

async function labelNames(layout: CifarLayout, reader: CifarFormatReader, log: (m: string) => void): Promise<string[]> {
  const fallback = [...defaultCifarLabelNames(layout.kind)];
  if (!layout.metaFile) {
    log(`${layout.dir}: no label-name file; using the published ${CIFAR_TITLE[layout.kind]} names`);
    return fallback;
  }
  const names = await reader.readLabelNames(layout.kind, layout.metaFile);
  if (names.length !== cifarClassCount(layout.kind)) {
    throw new DatasetError(layout.metaFile, `lists ${names.length} label names, ${CIFAR_TITLE[layout.kind]} has ${cifarClassCount(layout.kind)}`);
  }
  return names;
}

export async function openCifarDataset(kind: CifarKind, root: string, opts: CifarDatasetOptions): Promise<Dataset> {
  const layout = await locateCifar(kind, root);
  opts.log(`Reading ${CIFAR_TITLE[kind]} (${layout.format} version) from ${layout.dir}`);
  const reader = formatReader(layout, opts.readers);
  const [names, train, test] = await Promise.all([
    labelNames(layout, reader, opts.log),
    reader.readSplit(kind, layout.trainFiles),
    reader.readSplit(kind, layout.testFiles),
  ]);
  for (const [what, data, want] of [['train', train, CIFAR_SPLIT_SIZES.train], ['test', test, CIFAR_SPLIT_SIZES.test]] as const) {
    if (data.count !== want) opts.log(`Warning: ${layout.dir}: the ${what} split has ${data.count} images, the official one has ${want}`);
  }
  const trainT = opts.transforms?.train ?? cifarTrainTransforms();
  const valT = opts.transforms?.val ?? cifarValTransforms();
  validateTransforms(trainT);
  validateTransforms(valT);
  const executor = createBatchExecutor(opts.workers);
  const make = (id: string, data: CifarSplitData, transforms: TransformSpec[]): SplitLoader => {
    const shape = outputShape(transforms, { width: 32, height: 32 });
    if (!shape) throw new Error(`${id}: cannot determine the output shape of the transforms`);
    const split: DatasetSplit = {
      id,
      size: data.count,
      numClasses: cifarClassCount(kind),
      classNames: names,
      labels: data.labels,
      imageShape: shape,
    };
    const pipelineId = allocatePipelineId();
    executor.register({ id: pipelineId, source: { kind: 'memory', pixels: data.pixels, width: 32, height: 32 }, transforms, outShape: shape });
    const schedulable = new Int32Array(data.count);
    for (let i = 0; i < data.count; i++) schedulable[i] = i;
    return new SplitLoader({ split, executor, pipelineId, schedulable, prefetch: opts.prefetch, log: opts.log });
  };
  return new LoadedDataset(kind, make(`${kind}/train`, train, trainT), make(`${kind}/test`, test, valT), executor, () => make(`${kind}/train`, train, valT));
}
