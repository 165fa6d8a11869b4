/**
 * `snca cluster add|list|check|remove`: registered Slurm clusters, through the contract's
 * clusters.* methods (validated like every other client's calls).
 *
 *   snca cluster add NAME (--local | --ssh USER@HOST [--port N] [--ssh-option OPT]...) --work-dir DIR
 *        [--partition P] [--account A] [--gpus N] [--cpus N] [--mem 32G] [--time 2-00:00:00] [--auto-resubmit N]
 *   snca cluster check NAME [--install]     each step, and what to fix; exit 1 when one fails
 */
import type { Command } from 'commander';
import type { MethodOutput } from '../../shared/api.ts';
import type { Core } from '../core/core.ts';
import type { CliContext } from './cli-context.ts';
import { withCore as withCoreSession } from './core-session.ts';
import { integerIn, nonEmptyText } from './option-parsers.ts';

interface AddOptions {
  local?: boolean;
  ssh?: string;
  port?: number;
  sshOption: string[];
  workDir: string;
  partition?: string;
  account?: string;
  gpus?: number;
  cpus?: number;
  mem?: string;
  time?: string;
  autoResubmit?: number;
}

type Call = Core['call'];

function withCore(ctx: CliContext, fn: (call: Call) => Promise<number>): Promise<number> {
  return withCoreSession(ctx, (core) => fn((method, input) => core.call(method, input)));
}

export function registerClusterCommands(program: Command, ctx: CliContext, setExitCode: (code: number) => void): void {
  const cluster = program.command('cluster').description('register Slurm clusters and check them');

  cluster
    .command('add')
    .description('register a cluster: how to reach its login node, a work folder on its shared filesystem, Slurm defaults')
    .argument('<NAME>', 'a short name (letters, digits, _ . -)')
    .option('--local', 'the app runs on the login node itself')
    .option('--ssh <target>', 'reach the login node with your own ssh: USER@HOST or a Host alias of ~/.ssh/config')
    .option('--port <n>', 'ssh port', integerIn(1, 65535))
    .option('--ssh-option <opt>', 'an extra ssh argument (repeatable), e.g. --ssh-option=-i --ssh-option=~/.ssh/cluster', (v: string, all: string[]) => [...all, v], [] as string[])
    .requiredOption('--work-dir <dir>', 'absolute folder on the shared filesystem for the app, run folders and logs')
    .option('--partition <name>', 'default partition')
    .option('--account <name>', 'default account')
    .option('--gpus <n>', 'GPUs per run (default 1)', integerIn(0, 64))
    .option('--cpus <n>', 'CPUs per run (default 4)', integerIn(1, 1024))
    .option('--mem <size>', 'memory per run, e.g. 32G', nonEmptyText(16))
    .option('--time <limit>', 'time limit per run, e.g. 2-00:00:00', nonEmptyText(32))
    .option('--auto-resubmit <n>', 'resubmit a run interrupted by a time limit, preemption or node failure, at most N times (default 0)', integerIn(0, 20))
    .action(async (name: string, o: AddOptions) => {
      if (o.local === (o.ssh !== undefined)) {
        ctx.io.stderr('error: give exactly one of --local and --ssh USER@HOST\n');
        return setExitCode(2);
      }
      setExitCode(
        await withCore(ctx, async (call) => {
          const added = await call('clusters.add', {
            name,
            route: o.ssh !== undefined ? { kind: 'ssh', target: o.ssh, options: o.sshOption, ...(o.port ? { port: o.port } : {}) } : { kind: 'local' },
            workDir: o.workDir,
            defaults: {
              ...(o.partition ? { partition: o.partition } : {}),
              ...(o.account ? { account: o.account } : {}),
              ...(o.gpus !== undefined ? { gpus: o.gpus } : {}),
              ...(o.cpus !== undefined ? { cpus: o.cpus } : {}),
              ...(o.mem ? { memory: o.mem } : {}),
              ...(o.time ? { time: o.time } : {}),
            },
            autoResubmit: o.autoResubmit ?? 0,
          });
          ctx.io.stdout(`Cluster ${added.name} registered (${describeRoute(added.route)}, work folder ${added.workDir}). Next: snca cluster check ${added.name} --install\n`);
          return 0;
        }),
      );
    });

  cluster
    .command('list')
    .description('registered clusters')
    .option('--json', 'print JSON', false)
    .action(async (o: { json: boolean }) => {
      setExitCode(
        await withCore(ctx, async (call) => {
          const all = await call('clusters.list', {});
          if (o.json) ctx.io.stdout(`${JSON.stringify(all, null, 2)}\n`);
          else if (all.length === 0) ctx.io.stdout('No clusters registered: snca cluster add NAME --ssh USER@HOST --work-dir DIR\n');
          else for (const c of all) ctx.io.stdout(`${c.name}\t${describeRoute(c.route)}\t${c.workDir}\t${describeDefaults(c.defaults)}\n`);
          return 0;
        }),
      );
    });

  cluster
    .command('check')
    .description('verify route, Slurm, partition, work folder, app install and a compute node; say what to fix')
    .argument('<NAME>')
    .option('--install', 'install the app into the work folder first (copies the built app, runs npm ci there)', false)
    .action(async (name: string, o: { install: boolean }) => {
      setExitCode(
        await withCore(ctx, async (call) => {
          const checks = await call('clusters.check', { name, install: o.install });
          // A multi-line detail (the compute node's doctor table) is indented under its step.
          for (const c of checks) ctx.io.stdout(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(12)} ${c.detail.replace(/\n/g, `\n${' '.repeat(18)}`)}\n`);
          return checks.every((c) => c.ok) && checks.length === 6 ? 0 : 1;
        }),
      );
    });

  cluster
    .command('remove')
    .description('forget a cluster no run of this database uses')
    .argument('<NAME>')
    .action(async (name: string) => {
      setExitCode(
        await withCore(ctx, async (call) => {
          await call('clusters.remove', { name });
          ctx.io.stdout(`Cluster ${name} removed.\n`);
          return 0;
        }),
      );
    });
}

function describeRoute(route: MethodOutput<'clusters.add'>['route']): string {
  return route.kind === 'local' ? 'local' : `ssh ${route.target}${route.port ? `:${route.port}` : ''}`;
}

function describeDefaults(d: MethodOutput<'clusters.add'>['defaults']): string {
  return [d.partition && `partition ${d.partition}`, `${d.gpus} GPU`, `${d.cpus} CPU`, d.memory && `mem ${d.memory}`, d.time && `time ${d.time}`].filter(Boolean).join(', ');
}
