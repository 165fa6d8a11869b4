/**
 * `snca cluster-job RUN_DIR`: what a cluster's sbatch script runs on the compute node
 * (src-main/cluster/sbatch-script.ts). Not for people: hidden from the help. It opens no
 * database; the user's app follows the run through the event log in RUN_DIR.
 */
import type { Command } from 'commander';
import { ClusterJobError, runClusterJob } from '../cluster/cluster-job.ts';
import type { CliContext } from './cli-context.ts';

export function registerClusterJobCommand(program: Command, ctx: CliContext, setExitCode: (code: number) => void): void {
  program
    .command('cluster-job', { hidden: true })
    .description('run the training job of RUN_DIR on a cluster node (used by the rendered sbatch script)')
    .argument('<RUN_DIR>', 'the run folder on the shared filesystem, holding job.json')
    .action(async (runDir: string) => {
      let stop = false;
      const off = ctx.onInterrupt(() => (stop = true));
      try {
        setExitCode(await runClusterJob(runDir, { stopRequested: () => stop }));
      } catch (err) {
        if (!(err instanceof ClusterJobError)) throw err;
        ctx.io.stderr(`error: ${err.message}\n`);
        setExitCode(2);
      } finally {
        off();
      }
    });
}
