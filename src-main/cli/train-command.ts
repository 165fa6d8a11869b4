/**
 * `snca train`: the same job the GUI runs, in this process, recorded in the same database
 * (so it shows up in the GUI). Prints progress and the final metrics; exit code 0 when the
 * run completed, 1 when it failed, 130 when cancelled with Ctrl-C (a second Ctrl-C stops at once).
 */
import { ApiError } from '../../shared/api-error.ts';
import type { RunSummary } from '../../shared/domain.ts';
import type { FolderDatasetKind } from '../../shared/run-config.ts';
import { createCore } from '../core/core.ts';
import type { CliContext } from './cli-context.ts';
import { EXIT_FAILED, followRunToEnd } from './run-follow.ts';
import { ProgressPrinter } from './progress-printer.ts';
import { buildTrainConfig, describeForCli, type TrainFlags } from './train-config.ts';
import { resumeCommand } from './resume-command.ts';
import { evaluateFromTrain } from './train-evaluate.ts';
import { DataPathError, inferDataPath } from './datapath.ts';
import { resolveDataHome } from '../core/data-home.ts';
import { defaultDatasetRoot } from '../core/datasets-service.ts';

export { EXIT_OK, EXIT_FAILED, EXIT_CANCELLED } from './run-follow.ts';

/** What the `train` command line gives: the flags plus DATAPATH and the flags owned by resume (issue 5). */
export type TrainCommandInput = Omit<TrainFlags, 'dataset' | 'defaultCifarRoot'> & {
  dataPath?: string | undefined;
  /** --dataset: the kind of DATAPATH, when it cannot be guessed. */
  dataset?: FolderDatasetKind;
  resume?: string;
  startEpoch?: number;
  evaluate?: boolean;
  /** --k: neighbours that vote, with -e only. */
  k?: number;
};

/** Flags that only mean something elsewhere: refused, never ignored. */
function unavailableFlag(input: TrainCommandInput): string | null {
  if (input.k !== undefined) return '--k: sets the neighbours of the -e evaluation; it only goes with -e (--resume RUN_OR_CHECKPOINT -e); nothing was started';
  return null;
}

export async function trainCommand(input: TrainCommandInput, ctx: CliContext): Promise<number> {
  const { io } = ctx;
  const say = (line: string) => io.stdout(`${line}\n`);
  if (input.evaluate) return evaluateFromTrain(input, ctx);
  if (input.resume !== undefined) {
    if (input.k !== undefined) {
      io.stderr('error: --k: sets the neighbours of the -e evaluation; it only goes with -e; nothing was started\n');
      return EXIT_FAILED;
    }
    return resumeCommand(input, ctx);
  }
  const unavailable = unavailableFlag(input);
  if (unavailable) {
    io.stderr(`error: ${unavailable}\n`);
    return EXIT_FAILED;
  }
  if (input.dataset && input.dataPath === undefined) {
    io.stderr('error: --dataset: says what kind DATAPATH is, but no DATAPATH was given\n');
    return EXIT_FAILED;
  }
  const { dataPath, dataset: forcedKind, resume: _r, startEpoch: _s, evaluate: _e, k: _k, ...rest } = input;
  let flags: TrainFlags;
  try {
    const home = ctx.coreOptions.home ?? resolveDataHome();
    flags = {
      ...rest,
      ...(dataPath !== undefined ? { dataset: await inferDataPath(dataPath, forcedKind) } : {}),
      defaultCifarRoot: (kind) => defaultDatasetRoot(home, kind),
    };
  } catch (err) {
    if (!(err instanceof DataPathError)) throw err;
    io.stderr(`error: ${err.message}\n`);
    return EXIT_FAILED;
  }
  const built = buildTrainConfig(flags);
  if (!built.ok) {
    io.stderr(`error: ${built.message}\n`);
    return EXIT_FAILED;
  }
  if (input.startEpoch !== undefined) {
    // The reference's --start-epoch on a fresh run: the loop and its schedules start at N.
    if (input.startEpoch >= built.config.epochs) {
      io.stderr(`error: --start-epoch ${input.startEpoch}: must be below --epochs (${built.config.epochs}); nothing was started\n`);
      return EXIT_FAILED;
    }
    built.config.startEpoch = input.startEpoch;
  }
  const core = await createCore({
    ...ctx.coreOptions,
    adoptQueued: false,
    ...(flags.backend ? { backend: flags.backend } : {}),
    diagnostics: ctx.coreOptions.diagnostics ?? ((line) => io.stderr(`snca: ${line}\n`)),
  });
  try {
    const printer = new ProgressPrinter(say);
    let runId: string | null = null;
    core.bus.on('run.progress', (p) => p.runId === runId && printer.progress(p));
    core.bus.on('run.metrics', (m) => m.runId === runId && printer.metrics(m.points));
    core.bus.on('run.log', (l) => l.runId === runId && printer.log(l));

    let created: RunSummary;
    try {
      // The data layout is checked before the run is stored: a bad folder never becomes a run.
      await core.datasets.assertRunDataset(built.config);
      created = core.runs.create(built.config);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'invalid_input' && err.issues) {
        const kind = built.config.dataset.kind;
        const hint =
          dataPath === undefined && (kind === 'cifar10' || kind === 'cifar100')
            ? ` — get it with \`snca data download ${kind}\` (or \`snca data import ${kind} ARCHIVE\`), or give its folder as DATAPATH`
            : '';
        io.stderr(`error: ${describeForCli(err.issues, built.config.preset)}${hint}\n`);
        return EXIT_FAILED;
      }
      throw err;
    }
    runId = created.id;
    const id = created.id;
    say(`Run ${id} "${created.name}" (${created.preset}, ${created.arch}, ${created.epochs} epochs) — data in ${core.home}`);

    return await followRunToEnd(core, id, ctx, say);
  } finally {
    await core.close();
  }
}
