/**
 * Registered clusters: add, list, remove, and `check`, which verifies each thing a submission
 * needs and says what to fix — the route answers, Slurm answers, the default partition exists,
 * the work folder is writable, the app is installed there (and, with `install`, installs it:
 * the built app copied in, then `npm ci --omit=dev` there), and the app runs on a compute node
 * as a short job.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ApiError } from '../../../shared/api-error.ts';
import { ClusterSchema, type Cluster } from '../../../shared/cluster.ts';
import { safeParseWith } from '../../../shared/validation.ts';
import { shellFor, type ClusterShell } from '../../cluster/cluster-shell.ts';
import { renderSbatchScript } from '../../cluster/sbatch-script.ts';
import { shellQuote } from '../../cluster/shell-quote.ts';
import { SlurmClient } from '../../cluster/slurm-client.ts';
import type { Store } from '../../store/store.ts';
import { PACKAGE_ROOT } from '../package-root.ts';

export interface ClusterCheck {
  name: 'route' | 'slurm' | 'partition' | 'work-folder' | 'app' | 'compute-node';
  ok: boolean;
  detail: string;
}

export interface ClustersServiceDeps {
  store: Store;
  now(): number;
  /** How a route is reached (tests may wrap it). */
  shellFor?: (cluster: Cluster) => ClusterShell;
  /** How long `check` waits for the compute-node job. */
  computeCheckTimeoutMs?: number;
}

/** Where the app lives in a cluster's work folder. */
export function clusterAppDir(cluster: Pick<Cluster, 'workDir'>): string {
  return `${cluster.workDir}/app`;
}

/** The files of the built app that a cluster install copies (node_modules comes from `npm ci` there). */
const APP_FILES = ['package.json', 'package-lock.json', 'bin', 'dist/main'];

export class ClustersService {
  constructor(private readonly deps: ClustersServiceDeps) {}

  list(): Cluster[] {
    return this.deps.store.clusters.list();
  }

  get(name: string): Cluster {
    const c = this.deps.store.clusters.get(name);
    if (!c) throw ApiError.notFound(`Cluster "${name}"`);
    return c;
  }

  add(input: unknown): Cluster {
    const parsed = safeParseWith(ClusterSchema.omit({ createdAt: true }), input, 'cluster');
    if (!parsed.ok) throw ApiError.invalidInput(parsed.issues, 'cluster');
    if (this.deps.store.clusters.get(parsed.value.name)) {
      throw new ApiError('conflict', `A cluster named "${parsed.value.name}" is already registered; remove it first or pick another name`);
    }
    const cluster: Cluster = { ...parsed.value, createdAt: new Date(this.deps.now()).toISOString() };
    this.deps.store.clusters.add(cluster);
    return cluster;
  }

  remove(name: string): { name: string; removed: boolean } {
    this.get(name);
    if (!this.deps.store.clusters.remove(name)) {
      throw new ApiError('conflict', `Cluster "${name}" has runs recorded here; delete those runs first`);
    }
    return { name, removed: true };
  }

  shell(cluster: Cluster): ClusterShell {
    return this.deps.shellFor ? this.deps.shellFor(cluster) : shellFor(cluster.route);
  }

  /** Verifies the cluster step by step; stops at the first step the others depend on. */
  async check(name: string, options: { install?: boolean } = {}): Promise<ClusterCheck[]> {
    const cluster = this.get(name);
    const shell = this.shell(cluster);
    const checks: ClusterCheck[] = [];
    const fail = (c: ClusterCheck['name'], detail: string) => (checks.push({ name: c, ok: false, detail }), checks);
    const pass = (c: ClusterCheck['name'], detail: string) => checks.push({ name: c, ok: true, detail });

    try {
      const r = await shell.run('uname', ['-n']);
      if (r.code !== 0) return fail('route', `${shell.description} runs no commands: ${r.stderr.trim()}`);
      pass('route', `${shell.description} answers (host ${r.stdout.trim()})`);
    } catch (err) {
      return fail('route', `${shell.description} cannot be reached: ${messageOf(err)}. Check the host name, your ssh key and agent (ssh ${cluster.route.kind === 'ssh' ? cluster.route.target : ''} must work without a password)`);
    }

    const slurm = new SlurmClient(shell);
    let partitions: string[];
    try {
      partitions = await slurm.partitions();
      pass('slurm', `sinfo answers: partitions ${partitions.join(', ')}`);
    } catch (err) {
      return fail('slurm', `Slurm does not answer on ${shell.description}: ${messageOf(err)}. Is this the login node, with sinfo/sbatch on PATH?`);
    }
    const wanted = cluster.defaults.partition;
    if (wanted && !partitions.includes(wanted)) {
      fail('partition', `the default partition "${wanted}" does not exist; the cluster has: ${partitions.join(', ')}`);
    } else {
      pass('partition', wanted ? `partition "${wanted}" exists` : 'no default partition: Slurm picks its default');
    }

    const probe = `${cluster.workDir}/.snca-write-check`;
    const w = await shell.run('sh', ['-c', `mkdir -p ${shellQuote(cluster.workDir)}/runs && : > ${shellQuote(probe)} && rm -f ${shellQuote(probe)}`]);
    if (w.code !== 0) return fail('work-folder', `the work folder ${cluster.workDir} is not writable: ${w.stderr.trim() || `exit ${w.code}`}. Pick a folder on the shared filesystem that you own`);
    pass('work-folder', `${cluster.workDir} is writable`);

    if (options.install) {
      try {
        await this.install(cluster, shell);
      } catch (err) {
        return fail('app', `installing the app into ${clusterAppDir(cluster)} failed: ${messageOf(err)}`);
      }
    }
    const appDir = clusterAppDir(cluster);
    const a = await shell.run('sh', ['-c', `test -f ${shellQuote(`${appDir}/bin/snca.js`)} && test -d ${shellQuote(`${appDir}/node_modules`)} && node --version`]);
    if (a.code !== 0) {
      return fail('app', `the app is not installed in ${appDir} (or node is missing on ${shell.description}): run \`snca cluster check ${cluster.name} --install\``);
    }
    pass('app', `installed in ${appDir}, node ${a.stdout.trim()}`);

    const compute = await this.checkComputeNode(cluster, shell, slurm);
    checks.push(compute);
    return checks;
  }

  /** Copies the built app into the work folder and installs its runtime packages there. */
  private async install(cluster: Cluster, shell: ClusterShell): Promise<void> {
    const root = PACKAGE_ROOT;
    for (const f of APP_FILES) {
      if (!existsSync(join(root, f))) throw new Error(`${join(root, f)} is missing: build the app first (npm run build)`);
    }
    const appDir = clusterAppDir(cluster);
    const tar = execFileSync('tar', ['-c', '-C', root, ...APP_FILES.map((f) => relative(root, join(root, f)))], { maxBuffer: 512 * 1024 * 1024 });
    const unpack = await shell.run('sh', ['-c', `mkdir -p ${shellQuote(appDir)} && base64 -d | tar -x -C ${shellQuote(appDir)}`], {
      input: tar.toString('base64'),
      timeoutMs: 120_000,
    });
    if (unpack.code !== 0) throw new Error(`unpacking: ${unpack.stderr.trim()}`);
    // Scripts off: the package's own `prepare` builds from sources that are not copied, and the
    // compute-node job opens no database (better-sqlite3's native build is not needed there).
    const ci = await shell.run('sh', ['-c', `cd ${shellQuote(appDir)} && npm ci --omit=dev --ignore-scripts --no-audit --no-fund`], { timeoutMs: 600_000 });
    if (ci.code !== 0) throw new Error(`npm ci: ${ci.stderr.trim().split('\n').slice(-3).join(' ')}`);
  }

  /** Runs `snca --version` on a compute node as a short job. */
  private async checkComputeNode(cluster: Cluster, shell: ClusterShell, slurm: SlurmClient): Promise<ClusterCheck> {
    const dir = `${cluster.workDir}/checks`;
    const mk = await shell.run('mkdir', ['-p', dir]);
    if (mk.code !== 0) return { name: 'compute-node', ok: false, detail: `cannot create ${dir}: ${mk.stderr.trim()}` };
    const out = `${dir}/check-%j.out`;
    const script = renderSbatchScript({
      jobName: 'snca-check',
      appDir: clusterAppDir(cluster),
      runDirs: [dir],
      outputPattern: out,
      errorPattern: out,
      resources: { ...cluster.defaults, gpus: 0, cpus: 1, time: '5' },
    }).replace(/cluster-job "\$RUN_DIR"\n$/, '--version\n');
    let jobId: number;
    try {
      jobId = await slurm.submit(`${dir}/check.sbatch`, script);
    } catch (err) {
      return { name: 'compute-node', ok: false, detail: `the check job was refused: ${messageOf(err)}` };
    }
    const deadline = Date.now() + (this.deps.computeCheckTimeoutMs ?? 120_000);
    for (;;) {
      const s = (await slurm.states([jobId])).get(String(jobId));
      if (s?.mapped?.ended) {
        const text = await shell.readFrom(out.replace('%j', String(jobId)), 0, 4096);
        const printed = text ? new TextDecoder().decode(text).trim() : '';
        return s.state === 'COMPLETED'
          ? { name: 'compute-node', ok: true, detail: `job ${jobId} ran the app on a compute node: snca ${printed}` }
          : { name: 'compute-node', ok: false, detail: `job ${jobId} ended ${s.state}: ${printed || 'no output'}` };
      }
      if (Date.now() > deadline) {
        await slurm.cancel({ jobId, arrayTask: null }).catch(() => {});
        return { name: 'compute-node', ok: false, detail: `job ${jobId} did not run within ${(this.deps.computeCheckTimeoutMs ?? 120_000) / 1000} s (${s?.state ?? 'unknown'} ${s?.reason ?? ''}); it was cancelled` };
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
