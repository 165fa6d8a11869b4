/**
 * What a cluster's sbatch scripts run on the compute node (src-main/cluster/sbatch-script.ts):
 * `snca cluster-job RUN_DIR` trains a run, `snca cluster-eval DIR` evaluates a checkpoint. Not
 * for people: hidden from the help. Neither opens a database; the user's app follows them
 * through the files they write into their folder (event log, checkpoints, result).
 */
import type { Command } from 'commander';
import { runClusterEval } from '../cluster/cluster-eval.ts';
import { ClusterJobError, runClusterJob } from '../cluster/cluster-job.ts';
import type { CliContext } from './cli-context.ts';

interface NodeEntry {
  name: string;
  description: string;
  argument: [string, string];
  run(dir: string, stopRequested: () => boolean, log: (message: string) => void): Promise<number>;
}

const NODE_ENTRIES: readonly NodeEntry[] = [
  {
    name: 'cluster-job',
    description: 'run the training job of RUN_DIR on a cluster node (used by the rendered sbatch script)',
    argument: ['<RUN_DIR>', 'the run folder on the shared filesystem, holding job.json'],
    run: (dir, stopRequested) => runClusterJob(dir, { stopRequested }),
  },
  {
    name: 'cluster-eval',
    description: 'run the evaluation job of DIR on a cluster node (used by the rendered sbatch script)',
    argument: ['<DIR>', 'the evaluation folder on the shared filesystem, holding eval.json'],
    run: (dir, stopRequested, log) => runClusterEval(dir, { stopRequested, log }),
  },
];

export function registerClusterJobCommands(program: Command, ctx: CliContext, setExitCode: (code: number) => void): void {
  for (const entry of NODE_ENTRIES) {
    program
      .command(entry.name, { hidden: true })
      .description(entry.description)
      .argument(...entry.argument)
      .action(async (dir: string) => {
        let stop = false;
        // SIGTERM (scancel, or Slurm's time limit) stops the job at its next step.
        const off = ctx.onInterrupt(() => (stop = true));
        try {
          setExitCode(await entry.run(dir, () => stop, (m) => ctx.io.stderr(`${m}\n`)));
        } catch (err) {
          if (!(err instanceof ClusterJobError)) throw err;
          ctx.io.stderr(`error: ${err.message}\n`);
          setExitCode(2);
        } finally {
          off();
        }
      });
  }
}
