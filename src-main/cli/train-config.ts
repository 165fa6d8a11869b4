/** The run config `snca train` builds: a preset plus the flags given, validated with RunConfigSchema. */
import type { BackendName } from '../../shared/domain.ts';
import type { AllowedDevices } from '../../shared/compute-devices.ts';
import { ARCHS, IMAGENET_ARCHS, RunConfigSchema, isCifarKind, isPlaceholderRoot, type Arch, type FolderDatasetKind, type RunConfig, type RunConfigInput } from '../../shared/run-config.ts';
import type { InferredDataset } from './datapath.ts';
import { safeParseWith, type FieldIssue } from '../../shared/validation.ts';

export interface TrainFlags {
  /** Default: from DATAPATH's kind (cifar10-paper, imagenet-resnetXX), else mnist-demo. */
  preset?: string;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  name?: string;
  seed?: number;
  backend?: BackendName;
  // The reference CLI's flags (microsoft/snca.pytorch main.py / cifar.py), same meaning.
  arch?: string;
  workers?: number;
  momentum?: number;
  wd?: number;
  lowDim?: number;
  temperature?: number;
  memoryMomentum?: number;
  iterSize?: number;
  margin?: number;
  /** DATAPATH resolved by inferDataPath. */
  dataset?: InferredDataset;
}

/** What the `train` command line gives: the flags plus DATAPATH and the flags owned by resume and -e. */
export type TrainCommandInput = Omit<TrainFlags, 'dataset'> & {
  dataPath?: string | undefined;
  /** --dataset: the kind of DATAPATH, when it cannot be guessed. */
  dataset?: FolderDatasetKind;
  resume?: string;
  startEpoch?: number;
  evaluate?: boolean;
  /** --k: neighbours that vote, with -e only. */
  k?: number;
  /** --on NAME: submit to a registered Slurm cluster instead of training here. */
  on?: string;
  /** --partition / --gpus / --time: overrides of the cluster's defaults, with --on only. */
  partition?: string;
  gpus?: number;
  time?: string;
  /** --auto-resubmit N: with --on, resubmit an interrupted run at most N times (default: the cluster's setting). */
  autoResubmit?: number;
  /** --sweep PATH=V1,V2 (repeatable): one run per combination. */
  sweep?: string[];
  /** --devices: the GPUs this process's jobs may use. */
  devices?: AllowedDevices;
};

/** A preset as `presets.list` gives it (a CIFAR one already points at the default download folder). */
export interface PresetChoice {
  id: string;
  config: RunConfigInput;
}

/** Config fields that have a flag: errors about them name the flag. */
export const FLAG_OF_FIELD: Readonly<Record<string, string>> = {
  epochs: '--epochs',
  batchSize: '--batch-size',
  lr: '--lr',
  name: '--name',
  seed: '--seed',
  preset: '--preset',
  arch: '--arch',
  workers: '-j/--workers',
  momentum: '--momentum',
  weightDecay: '--wd',
  lowDim: '--low-dim',
  temperature: '--temperature',
  memoryMomentum: '--memory-momentum',
  iterSize: '--iter-size',
  margin: '--margin',
  dataset: 'DATAPATH',
  'dataset.root': 'DATAPATH',
  'dataset.kind': '--dataset',
};

/**
 * `--arch` as the reference spells it: resnet18/34/50 are the ImageNet nets, and on CIFAR
 * data the CIFAR variants (the reference cifar.py trains its CIFAR ResNet18). The app's own
 * names (small-convnet, cifar-resnet18, …) are accepted as they are.
 */
export function archFor(arch: string, datasetKind: string): Arch | { error: string } {
  const a = arch.trim().toLowerCase();
  if ((IMAGENET_ARCHS as readonly string[]).includes(a)) {
    return (isCifarKind(datasetKind) ? `cifar-${a}` : a) as Arch;
  }
  if ((ARCHS as readonly string[]).includes(a)) return a as Arch;
  return { error: `--arch: unknown network "${arch}"; expected ${[...IMAGENET_ARCHS, ...ARCHS.filter((x) => !(IMAGENET_ARCHS as readonly string[]).includes(x))].join(', ')}` };
}

function presetFor(dataset: InferredDataset | undefined, arch: string | undefined): string {
  if (!dataset) return 'mnist-demo';
  if (dataset.kind !== 'imagefolder') return 'cifar10-paper';
  const depth = /(18|34|50)$/.exec(arch?.trim() ?? '')?.[1] ?? '18';
  return `imagenet-resnet${depth}`;
}

export type TrainConfigResult = { ok: true; config: RunConfig } | { ok: false; message: string };

/** The config of `presets` (from `presets.list`) chosen by the flags, the flags applied, validated. */
export function buildTrainConfig(flags: TrainFlags, presets: readonly PresetChoice[]): TrainConfigResult {
  const presetId = flags.preset ?? presetFor(flags.dataset, flags.arch);
  const preset = presets.find((p) => p.id === presetId);
  if (!preset) {
    return { ok: false, message: `--preset: unknown preset "${presetId}"; available: ${presets.map((p) => p.id).join(', ')}` };
  }
  let dataset: RunConfigInput['dataset'] = preset.config.dataset;
  if (flags.dataset) {
    const { kind, root } = flags.dataset;
    dataset = { kind, root };
  } else if (dataset.kind !== 'mnist' && isPlaceholderRoot(dataset.root)) {
    return { ok: false, message: `DATAPATH: the preset ${preset.id} needs your dataset folder (ImageNet layout: train/ and val/); give it as the first argument: snca train DATAPATH --preset ${preset.id}` };
  }
  let arch: Arch | undefined;
  if (flags.arch !== undefined) {
    const a = archFor(flags.arch, dataset.kind);
    if (typeof a === 'object') return { ok: false, message: a.error };
    arch = a;
  }
  const input: RunConfigInput = {
    ...preset.config,
    dataset,
    ...(arch !== undefined ? { arch } : {}),
    ...(flags.workers !== undefined ? { workers: flags.workers } : {}),
    ...(flags.momentum !== undefined ? { momentum: flags.momentum } : {}),
    ...(flags.wd !== undefined ? { weightDecay: flags.wd } : {}),
    ...(flags.lowDim !== undefined ? { lowDim: flags.lowDim } : {}),
    ...(flags.temperature !== undefined ? { temperature: flags.temperature } : {}),
    ...(flags.memoryMomentum !== undefined ? { memoryMomentum: flags.memoryMomentum, memoryMomentumSchedule: [] } : {}),
    ...(flags.iterSize !== undefined ? { iterSize: flags.iterSize } : {}),
    ...(flags.margin !== undefined ? { margin: flags.margin } : {}),
    ...(flags.epochs !== undefined ? { epochs: flags.epochs } : {}),
    ...(flags.batchSize !== undefined ? { batchSize: flags.batchSize } : {}),
    ...(flags.lr !== undefined ? { lr: flags.lr } : {}),
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
  };
  const parsed = safeParseWith(RunConfigSchema, input);
  if (parsed.ok) return { ok: true, config: parsed.value };
  return { ok: false, message: describeForCli(parsed.issues, preset.id) };
}

/** "--epochs: Too big…" for flagged fields, "preset mnist-demo, dataset.valSize: …" for the others. */
export function describeForCli(issues: readonly FieldIssue[], presetId?: string): string {
  return issues
    .map((i) => {
      const path = i.path.replace(/^config\./, '');
      const flag = FLAG_OF_FIELD[path];
      if (flag) return `${flag}: ${i.message}`;
      return presetId ? `preset ${presetId}, ${path || 'config'}: ${i.message}` : `${path || 'config'}: ${i.message}`;
    })
    .join('; ');
}
