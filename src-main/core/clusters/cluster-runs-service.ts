/**
 * Runs on a cluster. This service is the scheduler of cluster runs, as `Scheduler` is of
 * local ones: it alone changes their states, from what Slurm reports.
 *
 * - submit: the runs are stored queued with their cluster row, each run folder gets its
 *   job.json, one sbatch script (a job array for a sweep) is rendered into the work folder and
 *   submitted. Anything refused before sbatch accepts (unknown partition, app not installed,
 *   unwritable folder, sbatch's own refusal) removes what was stored: nothing is half-submitted.
 * - poll: for every cluster with active runs, one batched Slurm query; each run's event log is
 *   read from its stored offset and ingested (cluster-log-ingest.ts); then its state follows
 *   Slurm's. An ended job's log is read to its end before the run is marked ended.
 * - cancel is scancel; resume writes a job.json continuing from a checkpoint on the cluster and
 *   submits again; a run interrupted by a time limit, preemption or node failure is resubmitted
 *   automatically, at most the run's own `autoResubmit` times (else its cluster's).
 * - fetch copies a checkpoint home, verified by sha256.
 * On start-up the first poll reconciles every run left active while the app was closed.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ApiError } from '../../../shared/api-error.ts';
import { type Cluster, type SlurmResources, type SlurmResourcesInput } from '../../../shared/cluster.ts';
import { isResumableStatus, RESUMABLE_STATUSES, type Checkpoint, type RunSummary } from '../../../shared/domain.ts';
import { RunConfigSchema } from '../../../shared/run-config.ts';
import { safeParseWith } from '../../../shared/validation.ts';
import { CLUSTER_JOB_FILE, EVENT_LOG_FILE, type ClusterJobFile } from '../../cluster/cluster-job.ts';
import type { ClusterShell } from '../../cluster/cluster-shell.ts';
import { parseEventLogChunk } from '../../cluster/event-log.ts';
import { renderSbatchScript } from '../../cluster/sbatch-script.ts';
import { shellQuote } from '../../cluster/shell-quote.ts';
import { jobKey, SlurmClient, type JobState } from '../../cluster/slurm-client.ts';
import type { ClusterRun } from '../../store/clusters-repository.ts';
import { newRunOf } from '../../store/runs-repository.ts';
import type { Store } from '../../store/store.ts';
import type { DataPaths } from '../data-home.ts';
import type { EventBus } from '../event-bus.ts';
import type { RunIdGenerator } from '../run-id.ts';
import { summarizeRun } from '../run-summaries.ts';
import { resumeCheckpointRow } from '../run-resume.ts';
import { clusterAppDir, type ClustersService } from './clusters-service.ts';
import { ingestEventLines } from './cluster-log-ingest.ts';
import { PollLoop } from './poll-loop.ts';

export interface ClusterRunsDeps {
  store: Store;
  bus: EventBus;
  paths: DataPaths;
  clusters: ClustersService;
  newId: RunIdGenerator;
  now(): number;
  diagnostics(line: string): void;
  /** Poll period while cluster runs are active (default 3 s). */
  pollMs?: number;
  /** Bytes of one run's log read per poll (default 4 MiB). */
  readChunkBytes?: number;
}

export interface SubmitRequest {
  cluster: string;
  configs: readonly unknown[];
  /** Overrides of the cluster's defaults. */
  resources?: Partial<SlurmResourcesInput>;
  /** Tag and label of a sweep's runs. */
  sweep?: string;
  /** Each run's limit of automatic resubmissions (default: the cluster's setting). */
  autoResubmit?: number;
}

const STDERR_TAIL_BYTES = 2000;

export class ClusterRunsService {
  private readonly loop: PollLoop;

  constructor(private readonly deps: ClusterRunsDeps) {
    this.loop = new PollLoop({ periodMs: deps.pollMs ?? 3000, poll: () => this.pollOnce(), active: () => deps.store.clusters.activeRuns().length > 0 });
  }

  /** Starts polling if any cluster run is active (on start-up this reconciles runs left active). */
  start(): void {
    this.loop.start();
  }

  async close(): Promise<void> {
    await this.loop.close();
  }

  async submit(req: SubmitRequest): Promise<RunSummary[]> {
    const { store, clusters } = this.deps;
    const cluster = clusters.get(req.cluster);
    const resources = clusters.resourcesFor(cluster, req.resources);
    if (req.configs.length === 0) throw new ApiError('invalid_input', 'A submission needs at least one run config');
    const configs = req.configs.map((c, i) => {
      const parsed = safeParseWith(RunConfigSchema, c, req.configs.length > 1 ? `configs[${i}]` : 'config');
      if (!parsed.ok) throw ApiError.invalidInput(parsed.issues, 'run config');
      return parsed.value;
    });
    const shell = clusters.shell(cluster);
    const slurm = new SlurmClient(shell);
    await clusters.verifyForSubmission(cluster, resources, shell, slurm);

    const now = this.deps.now();
    const ids = configs.map(() => this.deps.newId());
    const runDirs = ids.map((id) => `${cluster.workDir}/runs/${id}`);
    store.transaction(() => {
      configs.forEach((config, i) => {
        // No local owner: Slurm runs it, and this service follows it.
        store.runs.insert(newRunOf(ids[i]!, config, { createdAt: now, ownerPid: null, heartbeatAt: null }));
        if (req.sweep) store.runs.updateDetails(ids[i]!, { tags: [sweepTag(req.sweep)] });
        store.clusters.addRun({ runId: ids[i]!, cluster: cluster.name, runDir: runDirs[i]!, resources, sweep: req.sweep ?? null, autoResubmit: req.autoResubmit ?? null });
      });
    });
    try {
      for (const [i, id] of ids.entries()) {
        await this.writeJobFile(shell, runDirs[i]!, { runId: id, config: configs[i]! });
      }
      await this.submitJob(cluster, shell, slurm, ids, runDirs, resources, req.sweep ?? null, false);
    } catch (err) {
      store.transaction(() => ids.forEach((id) => store.runs.deleteQueued(id)));
      await shell.run('rm', ['-rf', ...runDirs]).catch(() => undefined);
      throw err instanceof ApiError ? err : new ApiError('unavailable', `Submitting to cluster ${cluster.name} failed: ${messageOf(err)}; nothing was submitted`);
    }
    const summaries = ids.map((id) => this.summary(id));
    for (const s of summaries) this.deps.bus.emit('run.changed', s);
    this.loop.schedule();
    return summaries;
  }

  /** Cluster details of a run: where it runs, its job, and the sbatch script that was submitted. */
  async detail(runId: string): Promise<{ cluster: string; jobId: number | null; arrayTask: number | null; slurmState: string | null; runDir: string; script: string | null; resubmits: number; autoResubmit: number } | null> {
    if (!this.deps.store.runs.get(runId)) throw ApiError.notFound(`Run ${runId}`);
    const row = this.deps.store.clusters.getRun(runId);
    if (!row) return null;
    let script: string | null = null;
    if (row.scriptPath) {
      const bytes = await this.deps.clusters.shell(this.deps.clusters.get(row.cluster)).readFrom(row.scriptPath, 0, 1 << 20);
      script = bytes ? new TextDecoder().decode(bytes) : null;
    }
    const autoResubmit = row.autoResubmit ?? this.deps.clusters.get(row.cluster).autoResubmit;
    return { cluster: row.cluster, jobId: row.jobId, arrayTask: row.arrayTask, slurmState: row.slurmState, runDir: row.runDir, script, resubmits: row.resubmits, autoResubmit };
  }

  isClusterRun(runId: string): boolean {
    return this.deps.store.clusters.getRun(runId) !== undefined;
  }

  async cancel(runId: string): Promise<RunSummary> {
    const row = this.requireClusterRun(runId);
    const run = this.deps.store.runs.get(runId);
    if (!run || (run.status !== 'queued' && run.status !== 'running')) {
      throw new ApiError('conflict', `Run ${runId} is ${run?.status ?? 'gone'}; only a queued or running run can be cancelled`);
    }
    if (row.jobId === null) throw new ApiError('conflict', `Run ${runId} has no Slurm job yet`);
    const cluster = this.deps.clusters.get(row.cluster);
    await new SlurmClient(this.deps.clusters.shell(cluster)).cancel({ jobId: row.jobId, arrayTask: row.arrayTask });
    this.deps.store.runs.requestCancel(runId, this.deps.now());
    this.loop.schedule(0);
    return this.summary(runId);
  }

  /** Continues an interrupted, failed or cancelled cluster run from its latest (or the given) checkpoint, on the cluster. */
  async resume(runId: string, checkpointId?: number, automatic = false): Promise<RunSummary> {
    const { store } = this.deps;
    const row = this.requireClusterRun(runId);
    const run = store.runs.get(runId);
    if (!run) throw ApiError.notFound(`Run ${runId}`);
    if (!isResumableStatus(run.status)) {
      throw new ApiError('conflict', `Run ${runId} is ${run.status}; only an interrupted, failed or cancelled run can be resumed.`);
    }
    const cluster = this.deps.clusters.get(row.cluster);
    const shell = this.deps.clusters.shell(cluster);
    const slurm = new SlurmClient(shell);
    await this.deps.clusters.verifyForSubmission(cluster, row.resources, shell, slurm);
    const checkpoint = resumeCheckpointRow(store, runId, checkpointId);
    const config = RunConfigSchema.parse(JSON.parse(store.runs.configJson(runId) ?? '{}'));
    const job: ClusterJobFile = {
      runId,
      config,
      ...(checkpoint ? { resumeFrom: { path: checkpoint.path, sha256: checkpoint.sha256 } } : {}),
    };
    await this.writeJobFile(shell, row.runDir, job);
    // Rows the aborted attempt wrote after the checkpoint are replaced by the resumed attempt's.
    const step = checkpoint ? (store.clusters.checkpointStep(checkpoint.id) ?? 0) : 0;
    store.transaction(() => {
      store.metrics.deleteAfterStep(runId, step);
      store.runs.transition(runId, RESUMABLE_STATUSES, 'queued', { error: null });
    });
    try {
      await this.submitJob(cluster, shell, slurm, [runId], [row.runDir], row.resources, null, automatic);
    } catch (err) {
      store.runs.transition(runId, ['queued'], 'failed', { endedAt: new Date(this.deps.now()).toISOString(), error: `Resubmitting failed: ${messageOf(err)}` });
      throw err instanceof ApiError ? err : new ApiError('unavailable', `Resubmitting run ${runId} failed: ${messageOf(err)}`);
    }
    store.logs.append(runId, [{ level: 'info', message: `Resubmitted to cluster ${cluster.name}${checkpoint ? ` from its epoch-${checkpoint.epoch} checkpoint` : ' from the start'}${automatic ? ' (automatic resubmission)' : ''}.`, wallTime: this.deps.now() }]);
    const s = this.summary(runId);
    this.deps.bus.emit('run.changed', s);
    this.loop.schedule();
    return s;
  }

  /** Copies a checkpoint of a cluster run into this machine's data folder, verified by sha256. */
  async fetchCheckpoint(checkpointId: number): Promise<Checkpoint> {
    const { store } = this.deps;
    const c = store.checkpoints.get(checkpointId);
    if (!c) throw ApiError.notFound(`Checkpoint ${checkpointId}`);
    const row = this.requireClusterRun(c.runId);
    const shell = this.deps.clusters.shell(this.deps.clusters.get(row.cluster));
    const dir = join(this.deps.paths.runsDir, c.runId, 'checkpoints', 'fetched');
    mkdirSync(dir, { recursive: true });
    const target = join(dir, basename(c.path));
    const tmp = `${target}.part`;
    const hash = createHash('sha256');
    const chunks: Uint8Array[] = [];
    const CHUNK = 8 << 20;
    for (let offset = 0; offset < c.bytes; ) {
      const bytes = await shell.readFrom(c.path, offset, Math.min(CHUNK, c.bytes - offset));
      if (bytes === null) throw new ApiError('not_found', `${c.path} is no longer on cluster ${row.cluster}`);
      if (bytes.length === 0) throw new ApiError('conflict', `${c.path} on cluster ${row.cluster} is shorter than recorded (${offset} of ${c.bytes} bytes)`);
      hash.update(bytes);
      chunks.push(bytes);
      offset += bytes.length;
    }
    const sha256 = hash.digest('hex');
    if (sha256 !== c.sha256) throw new ApiError('conflict', `${c.path} on cluster ${row.cluster} does not match the sha256 recorded when it was written; nothing was kept`);
    writeFileSync(tmp, Buffer.concat(chunks));
    renameSync(tmp, target);
    return store.checkpoints.record(c.runId, { epoch: c.epoch, kind: 'epoch', path: target, sha256, bytes: c.bytes, metrics: c.metrics }, new Date(this.deps.now()).toISOString());
  }

  /** One round: every active cluster run's log read on, and its state updated from Slurm. */
  pollNow(): Promise<void> {
    return this.loop.pollNow();
  }

  private async pollOnce(): Promise<void> {
    const active = this.deps.store.clusters.activeRuns();
    const byCluster = new Map<string, ClusterRun[]>();
    for (const r of active) byCluster.set(r.cluster, [...(byCluster.get(r.cluster) ?? []), r]);
    for (const [name, runs] of byCluster) {
      if (this.loop.closed) return;
      try {
        await this.pollCluster(this.deps.clusters.get(name), runs);
      } catch (err) {
        this.deps.diagnostics(`cluster ${name}: ${messageOf(err)}`);
      }
    }
  }

  private async pollCluster(cluster: Cluster, runs: readonly ClusterRun[]): Promise<void> {
    const shell = this.deps.clusters.shell(cluster);
    const slurm = new SlurmClient(shell);
    const refs = runs.flatMap((r) => (r.jobId === null ? [] : [{ jobId: r.jobId, arrayTask: r.arrayTask }]));
    const states = await slurm.states(refs);
    for (const run of runs) {
      if (run.jobId === null) continue;
      const state = states.get(jobKey({ jobId: run.jobId, arrayTask: run.arrayTask }));
      await this.follow(cluster, shell, run, state);
    }
  }

  private async follow(cluster: Cluster, shell: ClusterShell, run: ClusterRun, state: JobState | undefined): Promise<void> {
    const { store } = this.deps;
    // Read the log first: a job that has ended has written everything it will write.
    const end = await this.readLog(shell, run, state?.mapped?.ended === true);
    if (!state) {
      // Slurm no longer knows the job (purged after MinJobAge while the app was closed).
      if (end) return this.finish(run, end.status === 'completed' ? 'completed' : 'failed', end.status === 'failed' ? end.error : null);
      return this.finish(run, 'interrupted', `Slurm no longer knows job ${jobKey({ jobId: run.jobId!, arrayTask: run.arrayTask })} and its log has no end: it ended while the app was not watching. Resume it from its last checkpoint.`);
    }
    if (state.state !== run.slurmState) store.clusters.setSlurmState(run.runId, state.state);
    const mapped = state.mapped;
    if (!mapped) {
      this.deps.diagnostics(`run ${run.runId}: unknown Slurm state ${state.state}`);
      return;
    }
    if (!mapped.ended) {
      if (mapped.status === 'running' && store.runs.transition(run.runId, ['queued'], 'running', { startedAt: new Date(this.deps.now()).toISOString() })) {
        this.deps.bus.emit('run.changed', this.summary(run.runId));
      }
      return;
    }
    if (mapped.status === 'completed') return this.finish(run, end?.status === 'failed' ? 'failed' : 'completed', end?.status === 'failed' ? end.error : null);
    if (mapped.status === 'cancelled') return this.finish(run, 'cancelled', null);
    if (mapped.status === 'failed') {
      const why = end?.status === 'failed' ? end.error : `Slurm job ended ${state.state} (exit ${state.exitCode ?? '?'}): ${await this.stderrTail(shell, run)}`;
      return this.finish(run, 'failed', why);
    }
    const reason = `Slurm job ended ${state.state}${state.reason && state.reason !== 'None' ? ` (${state.reason})` : ''}; resume continues from the last checkpoint.`;
    await this.finish(run, 'interrupted', reason);
    if (run.resubmits < (run.autoResubmit ?? cluster.autoResubmit)) {
      try {
        await this.resume(run.runId, undefined, true);
      } catch (err) {
        this.deps.diagnostics(`run ${run.runId}: automatic resubmission failed: ${messageOf(err)}`);
      }
    }
  }

  /** Reads the run's log on from its offset (all of it when `toEnd`); returns how the attempt said it ended. */
  private async readLog(shell: ClusterShell, run: ClusterRun, toEnd: boolean) {
    const path = `${run.runDir}/${EVENT_LOG_FILE}`;
    const chunkBytes = this.deps.readChunkBytes ?? 4 << 20;
    let offset = this.deps.store.clusters.getRun(run.runId)?.logOffset ?? run.logOffset;
    let end: ReturnType<typeof ingestEventLines>['end'] = null;
    for (;;) {
      const bytes = await shell.readFrom(path, offset, chunkBytes);
      if (!bytes || bytes.length === 0) break;
      const chunk = parseEventLogChunk(bytes, offset, path);
      const r = ingestEventLines(this.deps.store, this.deps.bus, run.runId, chunk.lines, chunk.nextOffset);
      end = r.end ?? end;
      if (chunk.nextOffset === offset || !toEnd) break;
      offset = chunk.nextOffset;
    }
    return end;
  }

  private async finish(run: ClusterRun, status: 'completed' | 'failed' | 'cancelled' | 'interrupted', error: string | null): Promise<void> {
    const ok = this.deps.store.runs.transition(run.runId, ['queued', 'running'], status, { endedAt: new Date(this.deps.now()).toISOString(), error });
    if (ok) this.deps.bus.emit('run.changed', this.summary(run.runId));
  }

  private async stderrTail(shell: ClusterShell, run: ClusterRun): Promise<string> {
    const path = run.arrayTask === null ? `${run.runDir}/slurm.err` : `${this.deps.clusters.get(run.cluster).workDir}/sweeps/${run.sweep}/task-${run.arrayTask}.err`;
    const head = await shell.run('sh', ['-c', `tail -c ${STDERR_TAIL_BYTES} ${shellQuote(path)} 2>/dev/null`]).catch(() => null);
    return head?.stdout.trim() || 'no output on stderr';
  }

  private async writeJobFile(shell: ClusterShell, runDir: string, job: ClusterJobFile): Promise<void> {
    const path = `${runDir}/${CLUSTER_JOB_FILE}`;
    const r = await shell.run('sh', ['-c', `mkdir -p ${shellQuote(runDir)} && umask 077 && cat > ${shellQuote(path)}.tmp && mv ${shellQuote(`${path}.tmp`)} ${shellQuote(path)}`], { input: JSON.stringify(job) });
    if (r.code !== 0) throw new ApiError('conflict', `Cannot write ${path}: ${r.stderr.trim() || `exit ${r.code}`}`);
  }

  private async submitJob(cluster: Cluster, _shell: ClusterShell, slurm: SlurmClient, ids: readonly string[], runDirs: readonly string[], resources: SlurmResources, sweep: string | null, resubmit: boolean): Promise<void> {
    const array = ids.length > 1;
    const sweepDir = `${cluster.workDir}/sweeps/${sweep}`;
    if (array && !sweep) throw new Error('several runs are submitted only as a sweep');
    if (array) {
      const mk = await _shell.run('mkdir', ['-p', sweepDir]);
      if (mk.code !== 0) throw new ApiError('conflict', `Cannot create ${sweepDir}: ${mk.stderr.trim()}`);
    }
    const script = renderSbatchScript({
      jobName: array ? `snca-sweep-${sweep}` : `snca-${ids[0]}`,
      appDir: clusterAppDir(cluster),
      runDirs,
      outputPattern: array ? `${sweepDir}/task-%a.out` : `${runDirs[0]}/slurm.out`,
      errorPattern: array ? `${sweepDir}/task-%a.err` : `${runDirs[0]}/slurm.err`,
      resources,
    });
    const scriptPath = array ? `${sweepDir}/job.sbatch` : `${runDirs[0]}/job.sbatch`;
    let jobId: number;
    try {
      jobId = await slurm.submit(scriptPath, script);
    } catch (err) {
      throw new ApiError('invalid_input', `Cluster ${cluster.name} refused the job: ${messageOf(err)}; nothing was submitted`);
    }
    const at = new Date(this.deps.now()).toISOString();
    this.deps.store.transaction(() =>
      ids.forEach((id, i) => this.deps.store.clusters.markSubmitted(id, { jobId, arrayTask: array ? i : null, scriptPath, submittedAt: at, resubmit })),
    );
  }

  private requireClusterRun(runId: string): ClusterRun {
    const row = this.deps.store.clusters.getRun(runId);
    if (!row) throw ApiError.notFound(`Cluster run ${runId}`);
    return row;
  }

  private summary(id: string): RunSummary {
    const s = summarizeRun(this.deps.store, id);
    if (!s) throw ApiError.notFound(`Run ${id}`);
    return s;
  }
}

/** The tag every run of a sweep carries (the compare view opens on it). */
export function sweepTag(sweep: string): string {
  return `sweep:${sweep}`;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
