/** Registers `snca eval`, `snca compare` and `snca runs export` on the program. */
import type { Command } from 'commander';
import type { CliContext } from './cli-context.ts';
import { DataPathError, inferDataPath, type InferredDataset } from './datapath.ts';
import { compareCommand } from './compare-command.ts';
import { evalCommand, runsExportCommand } from './eval-command.ts';
import { integerIn, nonEmptyText, oneOf, positiveNumberUpTo } from './option-parsers.ts';

export function registerEvalCommands(program: Command, runs: Command, ctx: CliContext, setExitCode: (code: number) => void): void {
  const target = 'a run id (its best, else latest checkpoint), an imported model (name or id), a checkpoint id or a .safetensors file';
  kNNCommand(program.command('eval').argument('<run-or-checkpoint>', target), {
    about: "weighted-kNN evaluation of a checkpoint or an imported model on its dataset's val split (the reference's -e)",
    sigma: 'the run config sigma, else its temperature (a model: its temperature)',
    data: "the checkpoint's, or the one the model's train folder belongs to",
    json: 'the whole evaluation record',
  })
    .option('--on <cluster>', "run it as a Slurm job on a registered cluster (a checkpoint one of that cluster's runs wrote there)", nonEmptyText(40))
    .option('--partition <name>', "with --on: Slurm partition (default: the cluster's)", nonEmptyText(64))
    .option('--gpus <n>', "with --on: GPUs (default: the cluster's)", integerIn(0, 64))
    .option('--time <limit>', "with --on: Slurm time limit (default: the cluster's)", nonEmptyText(32))
    .action(async (target: string, opts: KnnFlags & { on?: string; partition?: string; gpus?: number; time?: string }) => {
      const resolved = await withDataset(opts, ctx);
      setExitCode(resolved ? await evalCommand(target, resolved, ctx) : 1);
    });

  const sides = 'run ids (best, else latest checkpoint), checkpoint ids or files, imported models (name or id)';
  kNNCommand(program.command('compare').argument('<sides...>', sides), {
    about: 'compare 2–4 checkpoints or imported models on the same val split, K and sigma: top-1/top-5 and McNemar per pair',
    sigma: "the first checkpoint's sigma, else the first model's temperature",
    data: "the first checkpoint's, else the one the first model's train folder belongs to",
    json: 'the whole comparison',
  }).action(async (refs: string[], opts: KnnFlags) => {
    const resolved = await withDataset(opts, ctx);
    setExitCode(resolved ? await compareCommand(refs, resolved, ctx) : 1);
  });

  runs
    .command('export')
    .description('print (or write) a run config and every metric row as CSV or JSON')
    .argument('<id>', 'run id')
    .option('--format <format>', 'csv or json', oneOf(['csv', 'json'] as const), 'csv')
    .option('--out <file>', 'write to this file instead of stdout', nonEmptyText(4096))
    .action(async (id: string, opts: { format: 'csv' | 'json'; out?: string }) => setExitCode(await runsExportCommand(id, opts, ctx)));
}

/** The flags of the weighted-kNN options both commands take. */
interface KnnFlags {
  k?: number;
  sigma?: number;
  recomputeMemory: boolean;
  json: boolean;
  data?: string;
}

/** `snca eval` or `snca compare` with the weighted-kNN options; `texts` say what each defaults to there. */
function kNNCommand(command: Command, texts: { about: string; sigma: string; data: string; json: string }): Command {
  return command
    .description(texts.about)
    .option('--k <n>', 'neighbours that vote', integerIn(1, 1000))
    .option('--sigma <x>', `vote temperature (default: ${texts.sigma})`, positiveNumberUpTo(100))
    .option('--recompute-memory', 'embed the train split again instead of using the memory bank', false)
    .option('--data <datapath>', `evaluate on this dataset (a CIFAR folder, or an ImageFolder root with train/ and val/); default: ${texts.data}`, nonEmptyText(4096))
    .option('--json', `print ${texts.json} as JSON`, false);
}

/** The flags with --data turned into a dataset; null, after saying why, when it names none. */
async function withDataset<F extends KnnFlags>(flags: F, ctx: CliContext): Promise<(Omit<F, 'data'> & { dataset?: InferredDataset }) | null> {
  const { data, ...rest } = flags;
  if (data === undefined) return rest;
  try {
    return { ...rest, dataset: await inferDataPath(data) };
  } catch (err) {
    if (!(err instanceof DataPathError)) throw err;
    ctx.io.stderr(`error: --data ${err.message}; nothing was started\n`);
    return null;
  }
}
