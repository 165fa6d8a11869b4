/**
 * Evaluations that run on a cluster as a Slurm job. The evaluations service decides what is
 * evaluated (the checkpoint, dataset, K, sigma, the cache) and records how it ended; this
 * service carries a job to the cluster and brings its outcome back:
 * - submit: the job file goes into `WORK/evaluations/<id>/eval.json`, an sbatch script running
 *   `snca cluster-eval DIR` is rendered beside it and submitted. Anything refused before sbatch
 *   accepts throws, and the caller removes the evaluation: nothing is half-submitted.
 * - poll: one batched Slurm query per cluster; when a job has ended, its result.json is read
 *   over the cluster's route, the per-sample results are copied into the data folder, and the
 *   outcome is handed to the evaluations service (completed, failed with the reason, cancelled).
 * - cancel is scancel; the poll records it cancelled.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ApiError } from '../../../shared/api-error.ts';
import type { Cluster, SlurmResourcesInput } from '../../../shared/cluster.ts';
import type { Evaluation } from '../../../shared/domain.ts';
import { describeIssues, issuesOf } from '../../../shared/validation.ts';
import { CLUSTER_EVAL_FILE, CLUSTER_EVAL_RESULT_FILE, CLUSTER_EVAL_SAMPLES_FILE, ClusterEvalOutcomeSchema, type ClusterEvalFile } from '../../cluster/cluster-eval.ts';
import { readWhole, type ClusterShell } from '../../cluster/cluster-shell.ts';
import { RUN_DIR_ARG, renderSbatchScript } from '../../cluster/sbatch-script.ts';
import { shellQuote } from '../../cluster/shell-quote.ts';
import { jobKey, SlurmClient, type JobState } from '../../cluster/slurm-client.ts';
import type { ClusterEvaluation } from '../../store/clusters-repository.ts';
import type { Store } from '../../store/store.ts';
import { samplesRelativePath } from '../evaluation-samples-path.ts';
import type { EvaluationOutcome } from '../jobs/evaluation-job.ts';
import { clusterAppDir, type ClustersService } from './clusters-service.ts';
import { PollLoop } from './poll-loop.ts';

export interface ClusterEvaluationsDeps {
  store: Store;
  clusters: ClustersService;
  /** The data folder: per-sample results are copied under it. */
  home: string;
  now(): number;
  diagnostics(line: string): void;
  /** Records how an evaluation ended (the evaluations service's own recorder). */
  record(id: number, outcome: EvaluationOutcome): void;
  pollMs?: number;
}

const MAX_RESULT_BYTES = 16 << 20;
const MAX_SAMPLES_BYTES = 512 << 20;
const STDERR_TAIL_BYTES = 2000;

export class ClusterEvaluationsService {
  private readonly loop: PollLoop;

  constructor(private readonly deps: ClusterEvaluationsDeps) {
    // Whoever asked for an evaluation waits for its outcome (`snca eval --on`): the poll keeps the process up.
    this.loop = new PollLoop({
      periodMs: deps.pollMs ?? 3000,
      poll: () => this.pollOnce(),
      active: () => deps.store.clusters.activeEvaluations().length > 0,
      keepAlive: true,
    });
  }

  /** Starts polling if any cluster evaluation is running (on start-up: those left running). */
  start(): void {
    this.loop.start();
  }

  async close(): Promise<void> {
    await this.loop.close();
  }

  owns(evaluationId: number): boolean {
    return this.deps.store.clusters.getEvaluation(evaluationId) !== undefined;
  }

  /** Submits the evaluation `row` (stored running) as a job on `clusterName`; throws, submitting nothing, when refused. */
  async submit(row: Evaluation, job: ClusterEvalFile, clusterName: string, overrides: Partial<SlurmResourcesInput> | undefined): Promise<void> {
    const { clusters, store } = this.deps;
    const cluster = clusters.get(clusterName);
    const resources = clusters.resourcesFor(cluster, overrides);
    const shell = clusters.shell(cluster);
    const slurm = new SlurmClient(shell);
    await clusters.verifyForSubmission(cluster, resources, shell, slurm);
    const jobDir = `${cluster.workDir}/evaluations/${row.id}`;
    const path = `${jobDir}/${CLUSTER_EVAL_FILE}`;
    const w = await shell.run('sh', ['-c', `mkdir -p ${shellQuote(jobDir)} && umask 077 && cat > ${shellQuote(path)}`], { input: JSON.stringify(job) });
    if (w.code !== 0) throw new ApiError('conflict', `Cannot write ${path} on cluster ${cluster.name}: ${w.stderr.trim() || `exit ${w.code}`}; nothing was submitted`);
    const script = renderSbatchScript({
      jobName: `snca-eval-${row.id}`,
      appDir: clusterAppDir(cluster),
      runDirs: [jobDir],
      outputPattern: `${jobDir}/slurm.out`,
      errorPattern: `${jobDir}/slurm.err`,
      resources,
      command: ['cluster-eval', RUN_DIR_ARG],
    });
    let jobId: number;
    try {
      jobId = await slurm.submit(`${jobDir}/job.sbatch`, script);
    } catch (err) {
      await shell.run('rm', ['-rf', jobDir]).catch(() => undefined);
      throw new ApiError('invalid_input', `Cluster ${cluster.name} refused the evaluation job: ${messageOf(err)}; nothing was submitted`);
    }
    store.transaction(() => {
      store.clusters.addEvaluation({ evaluationId: row.id, cluster: cluster.name, jobDir });
      store.clusters.markEvaluationSubmitted(row.id, jobId, new Date(this.deps.now()).toISOString());
    });
    this.loop.schedule();
  }

  async cancel(evaluationId: number): Promise<void> {
    const row = this.deps.store.clusters.getEvaluation(evaluationId);
    if (!row || row.jobId === null) throw ApiError.notFound(`Cluster evaluation ${evaluationId}`);
    await new SlurmClient(this.deps.clusters.shell(this.deps.clusters.get(row.cluster))).cancel({ jobId: row.jobId, arrayTask: null });
    this.loop.schedule(0);
  }

  pollNow(): Promise<void> {
    return this.loop.pollNow();
  }

  private async pollOnce(): Promise<void> {
    const byCluster = new Map<string, ClusterEvaluation[]>();
    for (const e of this.deps.store.clusters.activeEvaluations()) byCluster.set(e.cluster, [...(byCluster.get(e.cluster) ?? []), e]);
    for (const [name, evaluations] of byCluster) {
      if (this.loop.closed) return;
      try {
        const cluster = this.deps.clusters.get(name);
        const shell = this.deps.clusters.shell(cluster);
        const states = await new SlurmClient(shell).states(evaluations.flatMap((e) => (e.jobId === null ? [] : [{ jobId: e.jobId, arrayTask: null }])));
        for (const e of evaluations) {
          if (e.jobId !== null) await this.follow(cluster, shell, e, states.get(jobKey({ jobId: e.jobId, arrayTask: null })));
        }
      } catch (err) {
        this.deps.diagnostics(`cluster ${name}: ${messageOf(err)}`);
      }
    }
  }

  private async follow(cluster: Cluster, shell: ClusterShell, e: ClusterEvaluation, state: JobState | undefined): Promise<void> {
    if (state && state.state !== e.slurmState) this.deps.store.clusters.setEvaluationState(e.evaluationId, state.state);
    if (state && !state.mapped?.ended) return;
    const outcome = await this.readOutcome(shell, e);
    const job = `Slurm job ${e.jobId} on cluster ${cluster.name}`;
    if (outcome?.type === 'result') {
      await this.fetchSamples(shell, e);
      return this.deps.record(e.evaluationId, { status: 'completed', result: { ...outcome.result, backend: outcome.backend } });
    }
    if (outcome?.type === 'error') return this.deps.record(e.evaluationId, { status: 'failed', error: outcome.message });
    if (state?.mapped?.status === 'cancelled' || outcome?.type === 'cancelled') return this.deps.record(e.evaluationId, { status: 'cancelled', error: null });
    if (!state) return this.deps.record(e.evaluationId, { status: 'failed', error: `${job} is no longer known to Slurm and left no result; evaluate again.` });
    const why = state.mapped?.status === 'interrupted' ? `ended ${state.state} (raise the time limit, --time)` : `ended ${state.state} (exit ${state.exitCode ?? '?'})`;
    const tail = await shell.run('sh', ['-c', `tail -c ${STDERR_TAIL_BYTES} ${shellQuote(`${e.jobDir}/slurm.err`)} 2>/dev/null`]).catch(() => null);
    this.deps.record(e.evaluationId, { status: 'failed', error: `${job} ${why} without a result: ${tail?.stdout.trim() || 'no output on stderr'}` });
  }

  private async readOutcome(shell: ClusterShell, e: ClusterEvaluation) {
    const path = `${e.jobDir}/${CLUSTER_EVAL_RESULT_FILE}`;
    const bytes = await readWhole(shell, path, MAX_RESULT_BYTES);
    if (bytes === null) return null;
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch (err) {
      return { type: 'error' as const, message: `${path}: not JSON (${messageOf(err)})` };
    }
    const parsed = ClusterEvalOutcomeSchema.safeParse(json);
    return parsed.success ? parsed.data : { type: 'error' as const, message: `${path}: ${describeIssues(issuesOf(parsed.error))}` };
  }

  /** Copies the per-sample results home, where a local evaluation would have written them. */
  private async fetchSamples(shell: ClusterShell, e: ClusterEvaluation): Promise<void> {
    const bytes = await readWhole(shell, `${e.jobDir}/${CLUSTER_EVAL_SAMPLES_FILE}`, MAX_SAMPLES_BYTES);
    const evaluation = this.deps.store.evaluations.get(e.evaluationId);
    if (!bytes || !evaluation) return;
    const target = join(this.deps.home, samplesRelativePath(evaluation.runId, e.evaluationId));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(`${target}.part`, bytes);
    renameSync(`${target}.part`, target);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
