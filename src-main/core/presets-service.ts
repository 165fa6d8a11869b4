/**
 * The presets as the API gives them: each one's complete config (defaults applied), with the
 * dataset root of a CIFAR preset set to the folder `datasets.download` fills by default.
 */
import type { MethodOutput } from '../../shared/api.ts';
import { PRESETS, RunConfigSchema } from '../../shared/run-config.ts';
import type { DatasetsService } from './datasets-service.ts';

export type PresetView = MethodOutput<'presets.list'>[number];

export class PresetsService {
  constructor(private readonly datasets: Pick<DatasetsService, 'withDefaultRoot'>) {}

  list(): PresetView[] {
    return PRESETS.map((p) => {
      const config = RunConfigSchema.parse(p.config);
      return { id: p.id, title: p.title, description: p.description, offline: p.offline, config: { ...config, dataset: this.datasets.withDefaultRoot(config.dataset) } };
    });
  }
}
