/**
 * The datasets methods of the contract, and the dataset check in front of `runs.create`:
 * a run whose dataset folder is missing or wrongly laid out is refused before it is stored.
 */
import type { ApiHandlers, MethodName } from '../../shared/api.ts';
import { DATASET_ROOT_PLACEHOLDER } from '../../shared/run-config.ts';
import type { DatasetsService } from './datasets-service.ts';

export const DATASET_METHODS = ['datasets.validate', 'datasets.download', 'datasets.import', 'datasets.cancelDownload'] as const;
export type DatasetMethodName = (typeof DATASET_METHODS)[number];

type OtherHandlers = Omit<ApiHandlers, DatasetMethodName>;

/** Adds the datasets methods to the other handlers and checks datasets in runs.create and presets.list. */
export function withDatasetHandlers(handlers: OtherHandlers, datasets: DatasetsService): ApiHandlers {
  const create = handlers['runs.create'];
  const presets = handlers['presets.list'];
  const own: Pick<ApiHandlers, DatasetMethodName | Extract<MethodName, 'runs.create' | 'presets.list'>> = {
    'datasets.validate': ({ spec }) => datasets.validate(spec),
    'datasets.download': (input) => datasets.download(input),
    'datasets.import': (input) => datasets.import(input),
    'datasets.cancelDownload': ({ jobId }) => datasets.cancel(jobId),
    'runs.create': async (input) => {
      await datasets.assertRunDataset(input.config);
      return create(input);
    },
    // CIFAR presets point at the folder `datasets.download` fills by default.
    'presets.list': async (input) =>
      (await presets(input)).map((p) => {
        const d = p.config.dataset;
        if ((d.kind === 'cifar10' || d.kind === 'cifar100') && d.root === DATASET_ROOT_PLACEHOLDER) {
          return { ...p, config: { ...p.config, dataset: { ...d, root: datasets.defaultRoot(d.kind) } } };
        }
        return p;
      }),
  };
  return { ...handlers, ...own };
}
