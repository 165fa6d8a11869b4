/** Registers `snca eval` and `snca runs export` on the program. */
import type { Command } from 'commander';
import type { CliContext } from './cli-context.ts';
import { DataPathError, inferDataPath } from './datapath.ts';
import { evalCommand, runsExportCommand } from './eval-command.ts';
import { integerIn, nonEmptyText, oneOf, positiveNumberUpTo } from './option-parsers.ts';

export function registerEvalCommands(program: Command, runs: Command, ctx: CliContext, setExitCode: (code: number) => void): void {
  program
    .command('eval')
    .description("weighted-kNN evaluation of a checkpoint or an imported model on its dataset's val split (the reference's -e)")
    .argument('<run-or-checkpoint>', 'a run id (its best, else latest checkpoint), an imported model (name or id), a checkpoint id or a .safetensors file')
    .option('--k <n>', 'neighbours that vote', integerIn(1, 1000))
    .option('--sigma <x>', 'vote temperature (default: the run config sigma, else its temperature)', positiveNumberUpTo(100))
    .option('--recompute-memory', 'embed the train split again instead of using the memory bank', false)
    .option('--json', 'print the whole evaluation record as JSON', false)
    .option('--data <datapath>', "evaluate on this dataset (a CIFAR folder, or an ImageFolder root with train/ and val/) instead of the checkpoint's, or the one the model's train folder belongs to", nonEmptyText(4096))
    .option('--on <cluster>', "run it as a Slurm job on a registered cluster (a checkpoint one of that cluster's runs wrote there)", nonEmptyText(40))
    .option('--partition <name>', "with --on: Slurm partition (default: the cluster's)", nonEmptyText(64))
    .option('--gpus <n>', "with --on: GPUs (default: the cluster's)", integerIn(0, 64))
    .option('--time <limit>', "with --on: Slurm time limit (default: the cluster's)", nonEmptyText(32))
    .action(async (target: string, opts: { k?: number; sigma?: number; recomputeMemory: boolean; json: boolean; data?: string; on?: string; partition?: string; gpus?: number; time?: string }) => {
      const { data, ...rest } = opts;
      let dataset;
      try {
        dataset = data === undefined ? undefined : await inferDataPath(data);
      } catch (err) {
        if (!(err instanceof DataPathError)) throw err;
        ctx.io.stderr(`error: --data ${err.message}; nothing was started\n`);
        return setExitCode(1);
      }
      setExitCode(await evalCommand(target, { ...rest, ...(dataset ? { dataset } : {}) }, ctx));
    });

  runs
    .command('export')
    .description('print (or write) a run config and every metric row as CSV or JSON')
    .argument('<id>', 'run id')
    .option('--format <format>', 'csv or json', oneOf(['csv', 'json'] as const), 'csv')
    .option('--out <file>', 'write to this file instead of stdout', nonEmptyText(4096))
    .action(async (id: string, opts: { format: 'csv' | 'json'; out?: string }) => setExitCode(await runsExportCommand(id, opts, ctx)));
}
