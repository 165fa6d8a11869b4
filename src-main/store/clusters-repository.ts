/** Registered clusters and the cluster side of runs submitted to them. */
import { z } from 'zod';
import { ClusterRouteSchema, SlurmResourcesSchema, type Cluster, type SlurmResources } from '../../shared/cluster.ts';
import type { Db } from './migrator.ts';

interface ClusterRow {
  name: string;
  route: string;
  work_dir: string;
  defaults: string;
  auto_resubmit: number;
  created_at: string;
}

interface ClusterRunRow {
  run: string;
  cluster: string;
  run_dir: string;
  resources: string;
  sweep: string | null;
  job_id: number | null;
  array_task: number | null;
  script_path: string | null;
  slurm_state: string | null;
  log_offset: number;
  resubmits: number;
  submitted_at: string | null;
  auto_resubmit: number | null;
}

export interface ClusterRun {
  runId: string;
  cluster: string;
  runDir: string;
  resources: SlurmResources;
  sweep: string | null;
  jobId: number | null;
  arrayTask: number | null;
  scriptPath: string | null;
  slurmState: string | null;
  logOffset: number;
  resubmits: number;
  submittedAt: string | null;
  /** This run's limit of automatic resubmissions; null: its cluster's setting. */
  autoResubmit: number | null;
}

interface ClusterEvaluationRow {
  evaluation: number;
  cluster: string;
  job_dir: string;
  job_id: number | null;
  slurm_state: string | null;
  submitted_at: string | null;
}

/** An evaluation that runs on a cluster as a Slurm job. */
export interface ClusterEvaluation {
  evaluationId: number;
  cluster: string;
  /** Its folder on the shared filesystem: the job file in, the result out. */
  jobDir: string;
  jobId: number | null;
  slurmState: string | null;
  submittedAt: string | null;
}

function toClusterEvaluation(row: ClusterEvaluationRow): ClusterEvaluation {
  return { evaluationId: row.evaluation, cluster: row.cluster, jobDir: row.job_dir, jobId: row.job_id, slurmState: row.slurm_state, submittedAt: row.submitted_at };
}

/** JSON columns are written by this module only; a row that no longer parses is reported with its key. */
function parseJson<T>(schema: z.ZodType<T>, text: string, where: string): T {
  const parsed = schema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${where}: stored value does not match its schema: ${parsed.error.message}`);
  return parsed.data;
}

function toCluster(row: ClusterRow): Cluster {
  return {
    name: row.name,
    route: parseJson(ClusterRouteSchema, row.route, `clusters.${row.name}.route`),
    workDir: row.work_dir,
    defaults: parseJson(SlurmResourcesSchema, row.defaults, `clusters.${row.name}.defaults`),
    autoResubmit: row.auto_resubmit,
    createdAt: row.created_at,
  };
}

function toClusterRun(row: ClusterRunRow): ClusterRun {
  return {
    runId: row.run,
    cluster: row.cluster,
    runDir: row.run_dir,
    resources: parseJson(SlurmResourcesSchema, row.resources, `cluster_runs.${row.run}.resources`),
    sweep: row.sweep,
    jobId: row.job_id,
    arrayTask: row.array_task,
    scriptPath: row.script_path,
    slurmState: row.slurm_state,
    logOffset: row.log_offset,
    resubmits: row.resubmits,
    submittedAt: row.submitted_at,
    autoResubmit: row.auto_resubmit,
  };
}

export class ClustersRepository {
  constructor(private readonly db: Db) {}

  add(c: Cluster): void {
    this.db
      .prepare(`INSERT INTO clusters (name, route, work_dir, defaults, auto_resubmit, created_at) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(c.name, JSON.stringify(c.route), c.workDir, JSON.stringify(c.defaults), c.autoResubmit, c.createdAt);
  }

  update(c: Cluster): void {
    this.db
      .prepare(`UPDATE clusters SET route = ?, work_dir = ?, defaults = ?, auto_resubmit = ? WHERE name = ?`)
      .run(JSON.stringify(c.route), c.workDir, JSON.stringify(c.defaults), c.autoResubmit, c.name);
  }

  get(name: string): Cluster | undefined {
    const row = this.db.prepare(`SELECT * FROM clusters WHERE name = ?`).get(name) as ClusterRow | undefined;
    return row ? toCluster(row) : undefined;
  }

  list(): Cluster[] {
    return (this.db.prepare(`SELECT * FROM clusters ORDER BY name`).all() as ClusterRow[]).map(toCluster);
  }

  /** Removes a cluster no run refers to; returns false when runs still do. */
  remove(name: string): boolean {
    const used = this.db
      .prepare(`SELECT (SELECT count(*) FROM cluster_runs WHERE cluster = ?) + (SELECT count(*) FROM cluster_evaluations WHERE cluster = ?)`)
      .pluck()
      .get(name, name) as number;
    if (used > 0) return false;
    this.db.prepare(`DELETE FROM clusters WHERE name = ?`).run(name);
    return true;
  }

  addRun(r: Pick<ClusterRun, 'runId' | 'cluster' | 'runDir' | 'resources' | 'sweep'> & { autoResubmit?: number | null }): void {
    this.db
      .prepare(`INSERT INTO cluster_runs (run, cluster, run_dir, resources, sweep, auto_resubmit) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(r.runId, r.cluster, r.runDir, JSON.stringify(r.resources), r.sweep, r.autoResubmit ?? null);
  }

  getRun(runId: string): ClusterRun | undefined {
    const row = this.db.prepare(`SELECT * FROM cluster_runs WHERE run = ?`).get(runId) as ClusterRunRow | undefined;
    return row ? toClusterRun(row) : undefined;
  }

  /** Runs of a cluster whose job Slurm may still report on (submitted, state not final for the app). */
  runsOf(cluster: string): ClusterRun[] {
    return (this.db.prepare(`SELECT * FROM cluster_runs WHERE cluster = ? ORDER BY run`).all(cluster) as ClusterRunRow[]).map(toClusterRun);
  }

  markSubmitted(runId: string, job: { jobId: number; arrayTask: number | null; scriptPath: string; submittedAt: string; resubmit: boolean }): void {
    this.db
      .prepare(`UPDATE cluster_runs SET job_id = ?, array_task = ?, script_path = ?, submitted_at = ?, slurm_state = 'PENDING',
        resubmits = resubmits + ? WHERE run = ?`)
      .run(job.jobId, job.arrayTask, job.scriptPath, job.submittedAt, job.resubmit ? 1 : 0, runId);
  }

  setSlurmState(runId: string, state: string): void {
    this.db.prepare(`UPDATE cluster_runs SET slurm_state = ? WHERE run = ?`).run(state, runId);
  }

  setLogOffset(runId: string, offset: number): void {
    this.db.prepare(`UPDATE cluster_runs SET log_offset = ? WHERE run = ?`).run(offset, runId);
  }

  setCheckpointStep(checkpointId: number, step: number): void {
    this.db.prepare(`INSERT OR REPLACE INTO cluster_checkpoint_steps (checkpoint, step) VALUES (?, ?)`).run(checkpointId, step);
  }

  checkpointStep(checkpointId: number): number | undefined {
    return this.db.prepare(`SELECT step FROM cluster_checkpoint_steps WHERE checkpoint = ?`).pluck().get(checkpointId) as number | undefined;
  }

  /** Cluster runs whose job may still change or whose log may still grow. */
  activeRuns(): ClusterRun[] {
    return (
      this.db
        .prepare(`SELECT c.* FROM cluster_runs c JOIN runs r ON r.id = c.run WHERE r.status IN ('queued', 'running') ORDER BY c.cluster, c.run`)
        .all() as ClusterRunRow[]
    ).map(toClusterRun);
  }

  deleteRun(runId: string): void {
    this.db.prepare(`DELETE FROM cluster_runs WHERE run = ?`).run(runId);
  }

  addEvaluation(e: Pick<ClusterEvaluation, 'evaluationId' | 'cluster' | 'jobDir'>): void {
    this.db.prepare(`INSERT INTO cluster_evaluations (evaluation, cluster, job_dir) VALUES (?, ?, ?)`).run(e.evaluationId, e.cluster, e.jobDir);
  }

  getEvaluation(evaluationId: number): ClusterEvaluation | undefined {
    const row = this.db.prepare(`SELECT * FROM cluster_evaluations WHERE evaluation = ?`).get(evaluationId) as ClusterEvaluationRow | undefined;
    return row ? toClusterEvaluation(row) : undefined;
  }

  markEvaluationSubmitted(evaluationId: number, jobId: number, submittedAt: string): void {
    this.db.prepare(`UPDATE cluster_evaluations SET job_id = ?, submitted_at = ?, slurm_state = 'PENDING' WHERE evaluation = ?`).run(jobId, submittedAt, evaluationId);
  }

  setEvaluationState(evaluationId: number, state: string): void {
    this.db.prepare(`UPDATE cluster_evaluations SET slurm_state = ? WHERE evaluation = ?`).run(state, evaluationId);
  }

  /** Cluster evaluations still running (their job may still change). */
  activeEvaluations(): ClusterEvaluation[] {
    return (
      this.db
        .prepare(`SELECT c.* FROM cluster_evaluations c JOIN evaluations e ON e.id = c.evaluation WHERE e.status = 'running' ORDER BY c.cluster, c.evaluation`)
        .all() as ClusterEvaluationRow[]
    ).map(toClusterEvaluation);
  }
}
