/** Opens the dataset a run config names. */
import type { DatasetSpec } from '../../../shared/run-config.ts';
import type { Dataset } from '../data/dataset.ts';
import { openMnist } from '../data/mnist.ts';
import { TrainingError } from './training-error.ts';

export async function openRunDataset(
  spec: DatasetSpec,
  opts: { workers: number; log: (message: string) => void },
): Promise<Dataset> {
  switch (spec.kind) {
    case 'mnist':
      return openMnist(spec);
    default:
      throw new TrainingError(`Dataset kind '${spec.kind}' is not supported by this build yet`);
  }
}
