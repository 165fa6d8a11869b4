/**
 * Runs as the API sees them: create (validate the config and its dataset, store queued, hand
 * to the scheduler),
 * read (list, detail, metric series downsampled for charts, logs, checkpoints) and cancel.
 */
import { resolve } from 'node:path';
import { ApiError } from '../../shared/api-error.ts';
import type { Checkpoint, LogEntry, MetricSeries, RunDetail, RunSummary } from '../../shared/domain.ts';
import { METRIC_KEYS } from '../../shared/domain.ts';
import { RunConfigSchema, type RunConfig } from '../../shared/run-config.ts';
import { describeIssues, safeParseWith } from '../../shared/validation.ts';
import { downsampleSeries } from '../store/series-downsampling.ts';
import type { Store } from '../store/store.ts';
import type { DatasetsService } from './datasets-service.ts';
import type { EventBus } from './event-bus.ts';
import type { RunIdGenerator } from './run-id.ts';
import { assertResumeStartEpoch } from './run-resume.ts';
import { summarizeRun, summarizeRunsPage, toRunSummary } from './run-summaries.ts';
import { RUNS_LIST_MAX, type RunsListCursor, type RunsListResult } from '../../shared/runs-list.ts';
import type { Scheduler } from './scheduler.ts';
import { newRunOf } from '../store/runs-repository.ts';
import type { ClusterRunsService } from './clusters/cluster-runs-service.ts';

export interface MetricsQuery {
  id: string;
  keys?: readonly string[];
  maxPoints: number;
}

export interface LogsQuery {
  id: string;
  afterId: number;
  limit: number;
}

export interface RunsServiceDeps {
  store: Store;
  bus: EventBus;
  scheduler: Scheduler;
  /** Checks a run's dataset before the run is stored. */
  datasets: Pick<DatasetsService, 'assertRunDataset'>;
  newId: RunIdGenerator;
  pid: number;
  now(): number;
  /** Runs on a cluster are cancelled and resumed through Slurm (runs.cancel / runs.resume route them there). */
  clusterRuns?: Pick<ClusterRunsService, 'isClusterRun'>;
}

export class RunsService {
  constructor(private readonly deps: RunsServiceDeps) {}

  /**
   * Validates a config (field names prefixed with `config.`) and its dataset (a missing or
   * wrongly laid out folder is refused naming `config.dataset.root`), then stores the run
   * queued and schedules it. Nothing is stored when a check fails.
   */
  async create(configInput: unknown): Promise<RunSummary> {
    const parsed = safeParseWith(RunConfigSchema, configInput, 'config');
    if (!parsed.ok) throw ApiError.invalidInput(parsed.issues, 'run config');
    const config: RunConfig = parsed.value;
    await this.deps.datasets.assertRunDataset(config.dataset);
    const { store, bus, scheduler } = this.deps;
    const id = this.deps.newId();
    const now = this.deps.now();
    store.runs.insert(newRunOf(id, config, { createdAt: now, ownerPid: this.deps.pid, heartbeatAt: now }));
    bus.emit('run.changed', this.summary(id));
    scheduler.enqueue(id);
    return this.summary(id);
  }

  list(input: { limit: number; before?: RunsListCursor | undefined } = { limit: RUNS_LIST_MAX }): RunsListResult {
    return summarizeRunsPage(this.deps.store, input);
  }

  summary(id: string): RunSummary {
    const s = summarizeRun(this.deps.store, id);
    if (!s) throw ApiError.notFound(`Run ${id}`);
    return s;
  }

  get(id: string): RunDetail {
    const { store } = this.deps;
    const record = store.runs.get(id);
    const json = store.runs.configJson(id);
    if (!record || json === undefined) throw ApiError.notFound(`Run ${id}`);
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch {
      raw = undefined;
    }
    const config = safeParseWith(RunConfigSchema, raw, 'config');
    if (!config.ok) {
      throw new ApiError('internal', `The stored config of run ${id} cannot be read by this version: ${describeIssues(config.issues)}`);
    }
    return { ...toRunSummary(record, store.metrics.lastValues(id)), config: config.value };
  }

  cancel(id: string): RunSummary {
    this.refuseClusterRun(id, 'cancelled');
    return this.deps.scheduler.cancel(id);
  }

  /** Continues an interrupted, failed or cancelled run from its latest (or the given) checkpoint. */
  resume(id: string, checkpointId?: number, startEpoch?: number): RunSummary {
    this.refuseClusterRun(id, 'resumed');
    if (startEpoch !== undefined) assertResumeStartEpoch(this.deps.store, id, checkpointId, startEpoch);
    return this.deps.scheduler.resume(id, checkpointId);
  }

  /**
   * The run `ref` names: a run id of this database, or the path (resolved against this
   * process's folder) of a checkpoint file one of its runs recorded; null otherwise.
   */
  locate(ref: string): { runId: string; checkpointId: number | null } | null {
    const { store } = this.deps;
    if (store.runs.get(ref)) return { runId: ref, checkpointId: null };
    const row = store.checkpoints.findByPath(resolve(ref));
    return row ? { runId: row.runId, checkpointId: row.id } : null;
  }

  /** Resolves when a run started by this process ends (the CLI waits on this). */
  whenEnded(id: string): Promise<RunSummary> {
    return this.deps.scheduler.whenEnded(id);
  }

  metrics(q: MetricsQuery): MetricSeries[] {
    const { store } = this.deps;
    this.requireRun(q.id);
    const keys = q.keys ? [...new Set(q.keys)] : orderKeys(store.metrics.keys(q.id));
    return keys.map((key) => {
      const raw = store.metrics.series(q.id, key);
      return { key, ...downsampleSeries(raw, q.maxPoints) };
    });
  }

  logs(q: LogsQuery): LogEntry[] {
    this.requireRun(q.id);
    return this.deps.store.logs.after(q.id, q.afterId, q.limit);
  }

  checkpoints(id: string): Checkpoint[] {
    this.requireRun(id);
    return this.deps.store.checkpoints.list(id);
  }

  /** The local queue never takes a cluster run: Slurm runs it (ClusterRunsService). */
  private refuseClusterRun(id: string, what: string): void {
    if (this.deps.clusterRuns?.isClusterRun(id)) {
      throw new ApiError('conflict', `Run ${id} runs on a cluster: it is ${what} through Slurm (runs.${what === 'resumed' ? 'resume' : 'cancel'} of the contract), not by this machine's queue`);
    }
  }

  private requireRun(id: string): void {
    if (!this.deps.store.runs.get(id)) throw ApiError.notFound(`Run ${id}`);
  }
}

/** The engine's well-known keys first (in their documented order), then the rest alphabetically. */
function orderKeys(keys: readonly string[]): string[] {
  const known = METRIC_KEYS.filter((k) => keys.includes(k));
  const rest = keys.filter((k) => !(METRIC_KEYS as readonly string[]).includes(k)).sort();
  return [...known, ...rest];
}
