/**
 * Which dataset an imported model's feature bank belongs to. Bank row i is the i-th train
 * image in the reference's order: the i-th file of its train folder in ImageFolder order for
 * an ImageNet model, the i-th image of the CIFAR train set for a CIFAR model. So its rows get
 * labels only from that dataset, and the network takes that dataset's val transform.
 */
import { basename, dirname, resolve } from 'node:path';
import { ApiError } from '../../shared/api-error.ts';
import type { Model } from '../../shared/models.ts';
import { isCifarKind, type DatasetSpec, type DatasetSpecInput } from '../../shared/run-config.ts';
import { isCifarArch } from '../engine/eval/image-embedding.ts';

/** The imagefolder dataset holding a model's train folder as its train/ split (null when it has none, or it is not named train). */
export function modelDataset(m: Model): DatasetSpec | null {
  if (m.trainFolder === null || basename(m.trainFolder) !== 'train') return null;
  return { kind: 'imagefolder', root: dirname(m.trainFolder), corruptThreshold: 0.001 };
}

/** Why `dataset` is not the one the model's train folder belongs to (null when it is, or the model has no folder). */
export function trainFolderMismatch(m: Model, dataset: DatasetSpecInput): string | null {
  if (m.trainFolder === null || (dataset.kind === 'imagefolder' && resolve(dataset.root, 'train') === resolve(m.trainFolder))) return null;
  return `${m.name}'s bank rows are the images of ${m.trainFolder}; choose the dataset whose train/ folder that is.`;
}

/**
 * Why the model's bank cannot be the train side of a kNN evaluation on `dataset` (null when
 * it can). Whether the bank has one row per train image is known only once the dataset is
 * indexed: the evaluation checks that and names both numbers.
 */
export function bankEvaluationProblem(m: Model, dataset: DatasetSpecInput): string | null {
  if (m.bankRows === null || m.bankDim === null) return `${m.name} was imported without a feature bank; its kNN evaluation needs one.`;
  const cifarNetwork = isCifarArch(m.arch);
  if (isCifarKind(dataset.kind)) {
    return cifarNetwork ? null : `${m.name} is an ImageNet ${m.arch}; evaluate it on an ImageFolder dataset (its val transform: resize 256, center crop 224).`;
  }
  if (dataset.kind !== 'imagefolder') return `${m.name} takes colour images; it cannot be evaluated on ${dataset.kind}.`;
  if (cifarNetwork) return `${m.name} is a ${m.arch} network for 32×32 CIFAR images; evaluate it on a cifar10 or cifar100 dataset.`;
  if (m.trainFolder === null) {
    return `${m.name} has no train folder: its ${m.bankRows} bank rows need labels from the train folder in ImageFolder order; set the model's train folder first.`;
  }
  return trainFolderMismatch(m, dataset);
}

/** Refuses (invalid_input, saying why) a kNN evaluation of the model's bank on `dataset`. */
export function assertBankEvaluable(m: Model, dataset: DatasetSpecInput): void {
  const problem = bankEvaluationProblem(m, dataset);
  if (problem) throw new ApiError('invalid_input', problem, [{ path: 'model', message: problem }]);
}

/**
 * What an evaluation of the model uses unless told: the dataset its train folder belongs to,
 * and its temperature as sigma. Refused, saying why, when one is needed and it has none.
 */
export function modelEvaluationDefaults(m: Model, given: { dataset?: DatasetSpecInput | undefined; sigma?: number | undefined }): { dataset: DatasetSpecInput; sigma: number } {
  const dataset = given.dataset ?? modelDataset(m);
  if (!dataset) {
    const why = m.trainFolder === null ? `${m.name} has no train folder: its bank rows need labels from the train folder in ImageFolder order` : `${m.name}'s train folder ${m.trainFolder} is not named train/`;
    throw new ApiError('invalid_input', `${why}; set it, or give the dataset.`, [{ path: 'dataset', message: why }]);
  }
  const sigma = given.sigma ?? m.temperature;
  if (sigma === null) throw new ApiError('invalid_input', `${m.name} records no temperature; give sigma.`, [{ path: 'sigma', message: 'no default: the model records no temperature' }]);
  return { dataset, sigma };
}
