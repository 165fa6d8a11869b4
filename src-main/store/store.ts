/** The database with its repositories: what the core holds on to. */
import { openDatabase, type Db, type OpenDatabaseOptions } from './database.ts';
import { CheckpointsRepository } from './checkpoints-repository.ts';
import { ClustersRepository } from './clusters-repository.ts';
import { EvaluationsRepository } from './evaluations-repository.ts';
import { LogsRepository } from './logs-repository.ts';
import { MetricsRepository } from './metrics-repository.ts';
import { ModelsRepository } from './models-repository.ts';
import { RunsRepository } from './runs-repository.ts';

export interface Store {
  readonly db: Db;
  readonly runs: RunsRepository;
  readonly metrics: MetricsRepository;
  readonly checkpoints: CheckpointsRepository;
  readonly logs: LogsRepository;
  readonly evaluations: EvaluationsRepository;
  readonly clusters: ClustersRepository;
  readonly models: ModelsRepository;
  /** Runs `fn` in one transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T;
  close(): void;
}

export function openStore(path: string, options: OpenDatabaseOptions = {}): Store {
  const db = openDatabase(path, options);
  return {
    db,
    runs: new RunsRepository(db),
    metrics: new MetricsRepository(db),
    checkpoints: new CheckpointsRepository(db),
    logs: new LogsRepository(db),
    evaluations: new EvaluationsRepository(db),
    clusters: new ClustersRepository(db),
    models: new ModelsRepository(db),
    transaction: <T>(fn: () => T): T => db.transaction(fn)(),
    close: () => {
      if (db.open) db.close();
    },
  };
}
