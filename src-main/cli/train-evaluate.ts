/**
 * `snca train [DATAPATH] --resume RUN_OR_CHECKPOINT -e [--k N]`: the reference CLI's
 * `-e/--evaluate` ("evaluate model on validation set"): with --resume the reference loads
 * that checkpoint and runs the kNN evaluation on the val split, without training. Here it is
 * exactly `snca eval RUN_OR_CHECKPOINT [--k N]` (same target resolution: a run id means its
 * best, else latest checkpoint; a checkpoint id; a checkpoint file, recorded here or not),
 * with the same output. DATAPATH (kind detected as for training, --dataset to force it)
 * evaluates on that dataset instead of the one the checkpoint was trained on.
 *
 * `-e` without --resume is refused: the reference would then evaluate a randomly
 * initialised network, which measures nothing useful. Flags that only shape training are
 * refused with -e rather than ignored.
 */
import type { CliContext } from './cli-context.ts';
import { DataPathError, inferDataPath } from './datapath.ts';
import { evalCommand } from './eval-command.ts';
import type { TrainCommandInput } from './train-config.ts';

/** Flags that mean something with -e; any other flag given is refused. */
const WITH_EVALUATE = new Set(['evaluate', 'resume', 'dataPath', 'dataset', 'k', 'backend']);

function flagName(key: string): string {
  if (key === 'startEpoch') return '--start-epoch';
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

export async function evaluateFromTrain(input: TrainCommandInput, ctx: CliContext): Promise<number> {
  const fail = (message: string) => {
    ctx.io.stderr(`error: ${message}\n`);
    return 1;
  };
  if (input.resume === undefined) {
    return fail('-e/--evaluate needs --resume RUN_OR_CHECKPOINT, the checkpoint to evaluate (as in the reference, -e evaluates the ' +
      'model loaded with --resume); without it the reference evaluates a randomly initialised network, which is never useful, ' +
      'so it is refused; nothing was started');
  }
  const extra = Object.entries(input)
    .filter(([k, v]) => v !== undefined && v !== false && !WITH_EVALUATE.has(k))
    .map(([k]) => flagName(k));
  if (extra.length > 0) {
    return fail(`-e/--evaluate evaluates the --resume checkpoint without training; it cannot be combined with ${extra.join(', ')}; nothing was started`);
  }
  if (input.dataset && input.dataPath === undefined) return fail('--dataset: says what kind DATAPATH is, but no DATAPATH was given');
  let dataset;
  if (input.dataPath !== undefined) {
    try {
      dataset = await inferDataPath(input.dataPath, input.dataset);
    } catch (err) {
      if (!(err instanceof DataPathError)) throw err;
      return fail(err.message);
    }
  }
  return evalCommand(
    input.resume,
    {
      ...(input.k !== undefined ? { k: input.k } : {}),
      ...(dataset ? { dataset: { kind: dataset.kind, root: dataset.root } } : {}),
      ...(input.backend ? { backend: input.backend } : {}),
    },
    ctx,
  );
}
