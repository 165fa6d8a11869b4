/**
 * The experiment configuration: one schema for the GUI form, the CLI and stored runs,
 * and the presets that reproduce the paper's recipes.
 */
import { z } from 'zod';

/** The reference's ImageNet networks; on CIFAR data `--arch resnet18` means `cifar-resnet18`. */
export const IMAGENET_ARCHS = ['resnet18', 'resnet34', 'resnet50'] as const;
export type ImagenetArch = (typeof IMAGENET_ARCHS)[number];
export const ARCHS = ['small-convnet', 'cifar-resnet18', 'cifar-resnet34', 'cifar-resnet50', ...IMAGENET_ARCHS] as const;
export const ArchSchema = z.enum(ARCHS);
export type Arch = z.infer<typeof ArchSchema>;

export const CIFAR_KINDS = ['cifar10', 'cifar100'] as const;
export type CifarKind = (typeof CIFAR_KINDS)[number];
/** Dataset kinds read from a folder on disk (mnist ships with the app). */
export const FOLDER_DATASET_KINDS = [...CIFAR_KINDS, 'imagefolder'] as const;
export type FolderDatasetKind = (typeof FOLDER_DATASET_KINDS)[number];
export const DATASET_KINDS = ['mnist', ...FOLDER_DATASET_KINDS] as const;
export type DatasetKind = (typeof DATASET_KINDS)[number];

export function isCifarKind(kind: string): kind is CifarKind {
  return (CIFAR_KINDS as readonly string[]).includes(kind);
}

/** Whether a dataset kind is read from a folder the user gives (everything but the built-in MNIST). */
export function isFolderDatasetKind(kind: string): kind is FolderDatasetKind {
  return (FOLDER_DATASET_KINDS as readonly string[]).includes(kind);
}

const pathField = z.string().trim().min(1, 'a folder path is required');

export const DatasetSpecSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('mnist'),
    /** Samples per split, stratified over the 10,000 digits the `mnist` package ships. */
    trainSize: z.int().min(10).max(9990).default(8000),
    valSize: z.int().min(10).max(9990).default(2000),
  }).refine((d) => d.trainSize + d.valSize <= 10000, {
    message: 'trainSize + valSize must not exceed the 10,000 shipped digits',
    path: ['valSize'],
  }),
  z.object({ kind: z.literal(CIFAR_KINDS), root: pathField }),
  z.object({
    kind: z.literal('imagefolder'),
    root: pathField,
    /** Fraction of unreadable files tolerated before the run stops. */
    corruptThreshold: z.number().min(0).max(1).default(0.001),
  }),
]);
export type DatasetSpec = z.infer<typeof DatasetSpecSchema>;
export type DatasetSpecInput = z.input<typeof DatasetSpecSchema>;
// The union above covers DATASET_KINDS exactly: a kind added to one and not the other fails to compile.
const datasetKindsCovered: [DatasetSpec['kind'], DatasetKind] extends [DatasetKind, DatasetSpec['kind']] ? true : never = true;
void datasetKindsCovered;

export const MomentumStepSchema = z.object({
  epoch: z.int().min(0),
  value: z.number().min(0).max(1),
});

/** Metrics that can decide the best checkpoint. */
export const MONITOR_KEYS = ['knn_top1', 'nn_top1'] as const;

export const EvalConfigSchema = z.object({
  /** Neighbours of the weighted kNN. */
  k: z.int().min(1).max(1000).default(30),
  /** kNN weight temperature; defaults to the training temperature. */
  sigma: z.number().positive().max(100).optional(),
  /** Evaluate every n epochs (the last epoch is always evaluated). */
  everyEpochs: z.int().min(1).default(1),
  /** Metric that decides the best checkpoint. */
  monitor: z.enum(MONITOR_KEYS).default('knn_top1'),
  /** Recompute train features with the current network instead of using the memory bank. */
  recomputeMemory: z.boolean().default(false),
});

export const CheckpointConfigSchema = z.object({
  /** Also keep `epoch-NNNN.safetensors` every k epochs (0 = off). */
  keepEvery: z.int().min(0).max(10000).default(0),
});

export const RunConfigSchema = z.object({
  name: z.string().trim().min(1, 'give the run a name').max(120),
  /** Preset the config was derived from (informative; the config itself is complete). */
  preset: z.string().min(1).max(60).default('custom'),
  dataset: DatasetSpecSchema,
  arch: ArchSchema,
  lowDim: z.int().min(2).max(4096).default(128),
  epochs: z.int().min(1).max(10000),
  /**
   * First epoch of a fresh run (the reference's --start-epoch without --resume): the loop and
   * the lr / memory-momentum schedules start there. A resume continues from its checkpoint.
   */
  startEpoch: z.int().min(0).max(9999).default(0),
  batchSize: z.int().min(1).max(8192),
  /** Gradient accumulation: optimizer step every iterSize batches (loss divided by iterSize). */
  iterSize: z.int().min(1).max(64).default(1),
  lr: z.number().positive().max(10),
  lrSchedule: z.object({
    stepEpochs: z.int().min(1),
    gamma: z.number().positive().max(1).default(0.1),
  }),
  momentum: z.number().min(0).max(0.999).default(0.9),
  nesterov: z.boolean().default(true),
  weightDecay: z.number().min(0).max(1),
  temperature: z.number().min(0.001).max(10),
  margin: z.number().min(0).max(10).default(0),
  memoryMomentum: z.number().min(0).max(1),
  memoryMomentumSchedule: z.array(MomentumStepSchema).max(32).default([]),
  eval: EvalConfigSchema.default({ k: 30, everyEpochs: 1, monitor: 'knn_top1', recomputeMemory: false }),
  /** Checkpointing: `latest` and `best` are always kept; every k-th epoch too when keepEvery > 0. */
  checkpoint: CheckpointConfigSchema.default({ keepEvery: 0 }),
  /** Data-loader threads (the reference's -j). */
  workers: z.int().min(0).max(64).default(2),
  seed: z.int().min(0).max(2 ** 31 - 1).default(0),
}).refine((c) => c.startEpoch < c.epochs, {
  message: 'the start epoch must be below the number of epochs',
  path: ['startEpoch'],
});
export type RunConfig = z.infer<typeof RunConfigSchema>;
export type RunConfigInput = z.input<typeof RunConfigSchema>;

/**
 * The dataset root of presets that need the user's data. It is not a usable folder: the
 * form shows an empty field instead, the core substitutes the default download folder for
 * CIFAR, and a run created with it is refused naming `config.dataset.root`.
 */
export const DATASET_ROOT_PLACEHOLDER = '<choose the dataset folder>';

export function isPlaceholderRoot(root: string): boolean {
  return root.trim() === DATASET_ROOT_PLACEHOLDER;
}

export interface Preset {
  id: string;
  title: string;
  description: string;
  /** Whether the preset runs without any data the user must provide. */
  offline: boolean;
  config: RunConfigInput;
}

export const PRESETS: readonly Preset[] = [
  {
    id: 'mnist-demo',
    title: 'MNIST demo (offline)',
    description:
      'The 10,000 digits shipped with the app, 8,000 train / 2,000 val; small convnet, NCA loss over a memory bank, weighted kNN on val each epoch.',
    offline: true,
    config: {
      name: 'MNIST demo',
      preset: 'mnist-demo',
      dataset: { kind: 'mnist', trainSize: 8000, valSize: 2000 },
      arch: 'small-convnet',
      lowDim: 128,
      epochs: 5,
      batchSize: 128,
      iterSize: 1,
      lr: 0.1,
      lrSchedule: { stepEpochs: 50, gamma: 0.1 },
      momentum: 0.9,
      nesterov: true,
      weightDecay: 5e-4,
      temperature: 0.05,
      margin: 0,
      memoryMomentum: 0.5,
      memoryMomentumSchedule: [],
      eval: { k: 30, everyEpochs: 1, monitor: 'knn_top1', recomputeMemory: false },
      workers: 0,
      seed: 0,
    },
  },
  {
    id: 'cifar10-paper',
    title: 'CIFAR-10 (paper)',
    description:
      'The reference cifar.py recipe: CIFAR ResNet-18, 200 epochs, batch 128, lr 0.1 ×0.1 every 50 epochs, weight decay 5e-4, T 0.05, memory momentum 0.5, weighted kNN (K=30) every epoch. Needs the CIFAR-10 folder: download it or import the archive below.',
    offline: false,
    config: {
      name: 'CIFAR-10 (paper)',
      preset: 'cifar10-paper',
      dataset: { kind: 'cifar10', root: DATASET_ROOT_PLACEHOLDER },
      arch: 'cifar-resnet18',
      lowDim: 128,
      epochs: 200,
      batchSize: 128,
      iterSize: 1,
      lr: 0.1,
      lrSchedule: { stepEpochs: 50, gamma: 0.1 },
      momentum: 0.9,
      nesterov: true,
      weightDecay: 5e-4,
      temperature: 0.05,
      margin: 0,
      memoryMomentum: 0.5,
      memoryMomentumSchedule: [],
      eval: { k: 30, everyEpochs: 1, monitor: 'knn_top1', recomputeMemory: false },
      workers: 2,
      seed: 0,
    },
  },
  ...IMAGENET_ARCHS.flatMap((arch) => {
    const depth = arch.slice('resnet'.length);
    const plain = imagenetPreset(arch, `imagenet-resnet${depth}`, `ImageNet ResNet-${depth} (paper)`, 256, 1);
    if (arch === 'resnet18') return [plain];
    return [
      plain,
      imagenetPreset(arch, `imagenet-resnet${depth}-iter2`, `ImageNet ResNet-${depth} (paper, batch 128 × iter-size 2)`, 128, 2),
    ];
  }),
];

/** The ImageNet recipe of the reference main.py, for one network. */
function imagenetPreset(arch: ImagenetArch, id: string, title: string, batchSize: number, iterSize: number): Preset {
  const accumulation =
    iterSize > 1
      ? ` Batch ${batchSize} with gradient accumulation over ${iterSize} batches (the reference's --iter-size ${iterSize}): the same effective batch of ${batchSize * iterSize} in half the memory.`
      : '';
  return {
    id,
    title,
    description:
      `The reference main.py recipe: ${arch}, 130 epochs, batch ${batchSize * iterSize}, lr 0.1 ×0.1 every 40 epochs, weight decay 1e-4, T 0.05, 128-d embedding, memory momentum 0.5 → 0.8 at epoch 80 → 0.9 at 120, nearest-neighbour (K=1) accuracy every epoch.${accumulation} Needs an ImageNet-style folder with train/ and val/.`,
    offline: false,
    config: {
      name: title,
      preset: id,
      dataset: { kind: 'imagefolder', root: DATASET_ROOT_PLACEHOLDER, corruptThreshold: 0.001 },
      arch,
      lowDim: 128,
      epochs: 130,
      batchSize,
      iterSize,
      lr: 0.1,
      lrSchedule: { stepEpochs: 40, gamma: 0.1 },
      momentum: 0.9,
      nesterov: true,
      weightDecay: 1e-4,
      temperature: 0.05,
      margin: 0,
      memoryMomentum: 0.5,
      memoryMomentumSchedule: [
        { epoch: 80, value: 0.8 },
        { epoch: 120, value: 0.9 },
      ],
      eval: { k: 30, everyEpochs: 1, monitor: 'nn_top1', recomputeMemory: false },
      workers: 8,
      seed: 0,
    },
  };
}

export function findPreset(id: string): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}

/** The kNN sigma actually used: the configured one or the training temperature. */
export function effectiveSigma(config: RunConfig): number {
  return config.eval.sigma ?? config.temperature;
}
