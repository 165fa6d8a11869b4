/** The contract's methods mapped onto the core services; inputs arrive parsed by the transport. */
import type { ApiHandlers } from '../../shared/api.ts';
import { PRESETS, RunConfigSchema } from '../../shared/run-config.ts';
import type { BackendName } from '../../shared/domain.ts';
import type { RunsService } from './runs-service.ts';
import type { DatasetMethodName } from './dataset-handlers.ts';
import type { EvaluationsService } from './evaluations-service.ts';
import { describeHardware } from './hardware.ts';
import type { RunHousekeeping } from './run-housekeeping.ts';
import type { RunTableService } from './run-table-service.ts';
import type { Scheduler } from './scheduler.ts';

/** Services behind the queue, housekeeping, evaluation and hardware methods. */
export interface MoreServices {
  scheduler: Scheduler;
  housekeeping: RunHousekeeping;
  evaluations: EvaluationsService;
  runTable: RunTableService;
}

export interface SystemFacts {
  version: string;
  dataHome: string;
  backends: BackendName[];
  backend: BackendName;
  shell: 'electron' | 'serve';
}

/** Every method but the datasets ones (dataset-handlers.ts adds those). */
export function createApiHandlers(runs: RunsService, system: SystemFacts, more: MoreServices): Omit<ApiHandlers, DatasetMethodName> {
  return {
    'system.info': () => ({ ...system, backends: [...system.backends], platform: process.platform }),
    'presets.list': () =>
      PRESETS.map((p) => ({ id: p.id, title: p.title, description: p.description, offline: p.offline, config: RunConfigSchema.parse(p.config) })),
    'runs.list': () => runs.list(),
    'runs.query': (input) => more.runTable.query(input),
    'runs.get': ({ id }) => runs.get(id),
    'runs.create': ({ config }) => runs.create(config),
    'runs.cancel': ({ id }) => runs.cancel(id),
    'runs.metrics': ({ id, keys, maxPoints }) => runs.metrics(keys ? { id, keys, maxPoints } : { id, maxPoints }),
    'runs.logs': ({ id, afterId, limit }) => runs.logs({ id, afterId, limit }),
    'runs.checkpoints': ({ id }) => runs.checkpoints(id),
    'runs.resume': ({ id, checkpointId }) => runs.resume(id, checkpointId),
    'runs.reorder': ({ ids }) => more.scheduler.reorder(ids),
    'runs.removeQueued': ({ id }) => {
      more.scheduler.removeQueued(id);
      return { id, removed: true };
    },
    'runs.update': (input) => more.housekeeping.update(input),
    'runs.delete': ({ id }) => more.housekeeping.delete(id),
    'runs.export': ({ id, format }) => more.housekeeping.export(id, format),
    'runs.diskUsage': () => more.housekeeping.diskUsage(),
    'evaluations.create': (input) => more.evaluations.create(input),
    'evaluations.list': ({ runId }) => more.evaluations.list(runId),
    'system.hardware': () => describeHardware(system.backend),
  };
}
