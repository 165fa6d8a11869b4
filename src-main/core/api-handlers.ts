/** The contract's methods mapped onto the core services; inputs arrive parsed by the transport. */
import type { ApiHandlers } from '../../shared/api.ts';
import { PRESETS, RunConfigSchema } from '../../shared/run-config.ts';
import type { BackendName } from '../../shared/domain.ts';
import type { RunsService } from './runs-service.ts';

export interface SystemFacts {
  version: string;
  dataHome: string;
  backends: BackendName[];
  backend: BackendName;
  shell: 'electron' | 'serve';
}

export function createApiHandlers(runs: RunsService, system: SystemFacts): ApiHandlers {
  return {
    'system.info': () => ({ ...system, backends: [...system.backends], platform: process.platform }),
    'presets.list': () =>
      PRESETS.map((p) => ({ id: p.id, title: p.title, description: p.description, offline: p.offline, config: RunConfigSchema.parse(p.config) })),
    'runs.list': () => runs.list(),
    'runs.get': ({ id }) => runs.get(id),
    'runs.create': ({ config }) => runs.create(config),
    'runs.cancel': ({ id }) => runs.cancel(id),
    'runs.metrics': ({ id, keys, maxPoints }) => runs.metrics(keys ? { id, keys, maxPoints } : { id, maxPoints }),
    'runs.logs': ({ id, afterId, limit }) => runs.logs({ id, afterId, limit }),
    'runs.checkpoints': ({ id }) => runs.checkpoints(id),
  };
}
