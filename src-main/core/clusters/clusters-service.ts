/**
 * Registered clusters: add, list, remove, and `check`, which verifies each thing a submission
 * needs and says what to fix — the route answers, Slurm answers, the default partition exists,
 * the work folder is writable, the app is installed there (and, with `install`, installs it:
 * the built app copied in, then `npm ci --omit=dev` there), and `snca doctor` runs on a compute
 * node as a short job, whose backend table is reported.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ApiError } from '../../../shared/api-error.ts';
import { ClusterSchema, SlurmResourcesSchema, type Cluster, type SlurmResources, type SlurmResourcesInput } from '../../../shared/cluster.ts';
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

  /** A submission's Slurm resources: the cluster's defaults completed by its overrides. */
  resourcesFor(cluster: Cluster, overrides: Partial<SlurmResourcesInput> | undefined): SlurmResources {
    const parsed = safeParseWith(SlurmResourcesSchema, { ...cluster.defaults, ...overrides }, 'resources');
    if (!parsed.ok) throw ApiError.invalidInput(parsed.issues, 'cluster resources');
    return parsed.value;
  }

  /**
   * What every submission (run, sweep, resume, evaluation) needs before anything is stored on
   * the cluster: the route and Slurm answer, the partition exists, the work folder is writable,
   * the app is installed there. Each refusal names what to fix and says nothing was submitted.
   */
  async verifyForSubmission(cluster: Cluster, resources: SlurmResources, shell: ClusterShell, slurm: SlurmClient): Promise<void> {
    let partitions: string[];
    try {
      partitions = await slurm.partitions();
    } catch (err) {
      throw new ApiError('unavailable', `Cluster ${cluster.name} (${shell.description}) cannot be reached or Slurm does not answer: ${messageOf(err)}; nothing was submitted`);
    }
    if (resources.partition && !partitions.includes(resources.partition)) {
      throw ApiError.invalidInput([{ path: 'resources.partition', message: `"${resources.partition}" is not a partition of cluster ${cluster.name}; it has: ${partitions.join(', ')}` }], 'cluster resources');
    }
    const probe = await this.probeWorkFolder(cluster, shell);
    if (probe) throw new ApiError('conflict', `The work folder ${cluster.workDir} of cluster ${cluster.name} is not writable (${probe}): pick a folder you own on the shared filesystem; nothing was submitted`);
    const appDir = clusterAppDir(cluster);
    const app = await shell.run('test', ['-f', `${appDir}/bin/snca.js`]);
    if (app.code !== 0) {
      throw new ApiError('conflict', `The app is not installed on cluster ${cluster.name} (${appDir}/bin/snca.js is missing): run \`snca cluster check ${cluster.name} --install\`; nothing was submitted`);
    }
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

    const unwritable = await this.probeWorkFolder(cluster, shell);
    if (unwritable) return fail('work-folder', `the work folder ${cluster.workDir} is not writable: ${unwritable}. Pick a folder on the shared filesystem that you own`);
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

  /** Creates WORK/runs and a file in it; null when that works, else why not (the shell's words). */
  private async probeWorkFolder(cluster: Cluster, shell: ClusterShell): Promise<string | null> {
    const runs = `${cluster.workDir}/runs`;
    const probe = `${runs}/.snca-write-check`;
    const w = await shell.run('sh', ['-c', `mkdir -p ${shellQuote(runs)} && : > ${shellQuote(probe)} && rm -f ${shellQuote(probe)}`]);
    return w.code === 0 ? null : w.stderr.trim().split('\n').pop() || `exit ${w.code}`;
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
    // Scripts off: the package's own `prepare` builds from sources that are not copied, and
    // nothing on a compute node opens a database (better-sqlite3's native build is not needed).
    // --prefer-offline: packages already in the login node's npm cache are not fetched again, so
    // a login node whose cache holds them installs without reaching the registry.
    const ci = await shell.run('sh', ['-c', `cd ${shellQuote(appDir)} && npm ci --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund`], { timeoutMs: 600_000 });
    if (ci.code !== 0) throw new Error(`npm ci: ${ci.stderr.trim().split('\n').slice(-3).join(' ')}`);
  }

  /** Runs `snca doctor` on a compute node as a short job; its table is the check's detail. */
  private async checkComputeNode(cluster: Cluster, shell: ClusterShell, slurm: SlurmClient): Promise<ClusterCheck> {
    const dir = `${cluster.workDir}/checks`;
    const mk = await shell.run('mkdir', ['-p', dir]);
    if (mk.code !== 0) return { name: 'compute-node', ok: false, detail: `cannot create ${dir}: ${mk.stderr.trim()}` };
    const out = `${dir}/doctor-%j.out`;
    const script = renderSbatchScript({
      jobName: 'snca-check',
      appDir: clusterAppDir(cluster),
      runDirs: [dir],
      outputPattern: out,
      errorPattern: `${dir}/doctor-%j.err`,
      resources: { ...cluster.defaults, cpus: 1, time: '5' },
      command: ['doctor'],
    });
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
        const read = async (pattern: string) => {
          const bytes = await shell.readFrom(pattern.replace('%j', String(jobId)), 0, 16_384);
          return bytes ? new TextDecoder().decode(bytes).trim() : '';
        };
        const table = await read(out);
        if (s.state === 'COMPLETED') return { name: 'compute-node', ok: true, detail: `job ${jobId} ran snca doctor on a compute node:\n${table}` };
        const stderr = (await read(`${dir}/doctor-%j.err`)).split('\n').filter((l) => /error|not found|cannot/i.test(l)).slice(-3).join('\n');
        const why = s.exitCode === '1:0' ? 'no backend but the pure-JS cpu one loads there (see the fixes in the table)' : `it ended ${s.state}${s.exitCode ? ` (exit ${s.exitCode})` : ''}`;
        return { name: 'compute-node', ok: false, detail: `job ${jobId} ran snca doctor on a compute node and ${why}:\n${table || stderr || 'no output'}` };
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
