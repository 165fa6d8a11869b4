/**
 * `snca train`: the same job the GUI runs, in this process, recorded in the same database
 * (so it shows up in the GUI). Prints progress and the final metrics; exit code 0 when the
 * run completed, 1 when it failed, 130 when cancelled with Ctrl-C (a second Ctrl-C stops at once).
 * The preset comes from `presets.list` and the run from `runs.create`, called through the
 * contract like the other clients, so the dataset check and the default CIFAR folder are the
 * core's.
 */
import { ApiError } from '../../shared/api-error.ts';
import type { RunConfig } from '../../shared/run-config.ts';
import { parseSweepAxis, SweepError } from '../../shared/sweep.ts';
import type { RunSummary } from '../../shared/domain.ts';
import { createCore, type Core } from '../core/core.ts';
import type { CliContext } from './cli-context.ts';
import { EXIT_FAILED, followRunToEnd } from './run-follow.ts';
import { ProgressPrinter } from './progress-printer.ts';
import { slurmFlagsWithoutCluster, slurmOverrides } from './slurm-flags.ts';
import { buildTrainConfig, describeForCli, type TrainCommandInput, type TrainFlags } from './train-config.ts';
import { resumeCommand } from './resume-command.ts';
import { evaluateFromTrain } from './train-evaluate.ts';
import { DataPathError, inferDataPath } from './datapath.ts';
import { deviceCoreOptions } from './device-options.ts';

export { EXIT_OK, EXIT_FAILED, EXIT_CANCELLED } from './run-follow.ts';

/** --k belongs to the -e evaluation: refused, never ignored, without -e. */
function kWithoutEvaluate(input: TrainCommandInput): string {
  const how = input.resume !== undefined ? '-e' : '-e (--resume RUN_OR_CHECKPOINT -e)';
  return `--k: sets the neighbours of the -e evaluation; it only goes with ${how}; nothing was started`;
}

export async function trainCommand(input: TrainCommandInput, ctx: CliContext): Promise<number> {
  const { io } = ctx;
  const say = (line: string) => io.stdout(`${line}\n`);
  if (input.evaluate) return evaluateFromTrain(input, ctx);
  if (input.k !== undefined) {
    io.stderr(`error: ${kWithoutEvaluate(input)}\n`);
    return EXIT_FAILED;
  }
  if (input.resume !== undefined) return resumeCommand(input, ctx);
  if (input.dataset && input.dataPath === undefined) {
    io.stderr('error: --dataset: says what kind DATAPATH is, but no DATAPATH was given\n');
    return EXIT_FAILED;
  }
  if (slurmFlagsWithoutCluster(input) || (input.on === undefined && input.autoResubmit !== undefined)) {
    io.stderr('error: --partition, --gpus, --time and --auto-resubmit are Slurm settings: they go with --on CLUSTER; nothing was started\n');
    return EXIT_FAILED;
  }
  const { dataPath, dataset: forcedKind, resume: _r, startEpoch: _s, evaluate: _e, k: _k, on: _on, partition: _p, gpus: _g, time: _t, autoResubmit: _ar, sweep: _sw, devices, ...rest } = input;
  let flags: TrainFlags;
  try {
    flags = { ...rest, ...(dataPath !== undefined ? { dataset: await inferDataPath(dataPath, forcedKind) } : {}) };
  } catch (err) {
    if (!(err instanceof DataPathError)) throw err;
    io.stderr(`error: ${err.message}\n`);
    return EXIT_FAILED;
  }
  const core = await createCore({
    ...ctx.coreOptions,
    ...deviceCoreOptions(ctx, devices),
    adoptQueued: false,
    ...(flags.backend ? { backend: flags.backend } : {}),
    diagnostics: ctx.coreOptions.diagnostics ?? ((line) => io.stderr(`snca: ${line}\n`)),
  });
  try {
    const built = buildTrainConfig(flags, await core.call('presets.list', {}));
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
    if (input.on !== undefined || (input.sweep?.length ?? 0) > 0) return await submitCommand(core, input, built.config, ctx, say);
    const printer = new ProgressPrinter(say);
    let runId: string | null = null;
    core.bus.on('run.progress', (p) => p.runId === runId && printer.progress(p));
    core.bus.on('run.metrics', (m) => m.runId === runId && printer.metrics(m.points));
    core.bus.on('run.log', (l) => l.runId === runId && printer.log(l));

    let created: RunSummary;
    try {
      created = await core.call('runs.create', { config: built.config });
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

/**
 * `--on CLUSTER` and/or `--sweep`: through `runs.submit`. On a cluster the runs are submitted
 * and the command ends (the app follows them; `snca runs` lists them); here a sweep's runs are
 * queued and followed one after the other, and the worst exit code is returned.
 */
async function submitCommand(core: Core, input: TrainCommandInput, config: RunConfig, ctx: CliContext, say: (line: string) => void): Promise<number> {
  let sweep;
  try {
    sweep = (input.sweep ?? []).map(parseSweepAxis);
  } catch (err) {
    if (!(err instanceof SweepError)) throw err;
    ctx.io.stderr(`error: ${err.message}; nothing was started\n`);
    return EXIT_FAILED;
  }
  const resources = slurmOverrides(input);
  let submitted;
  try {
    const cluster = input.on !== undefined ? { cluster: input.on, resources, ...(input.autoResubmit !== undefined ? { autoResubmit: input.autoResubmit } : {}) } : {};
    submitted = await core.call('runs.submit', { config, sweep, ...cluster });
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    ctx.io.stderr(`error: ${err.message}\n`);
    return EXIT_FAILED;
  }
  const where = input.on !== undefined ? `cluster ${input.on}` : 'this machine';
  say(`${submitted.runs.length === 1 ? 'Run' : `Sweep ${submitted.sweep} of ${submitted.runs.length} runs`} on ${where} — data in ${core.home}`);
  for (const r of submitted.runs) say(`  ${r.id} "${r.name}" (${r.status})`);
  if (input.on !== undefined) {
    say('The cluster runs them; the app (or `snca runs`) follows their progress.');
    return 0;
  }
  let worst = 0;
  for (const r of submitted.runs) worst = Math.max(worst, await followRunToEnd(core, r.id, ctx, say));
  return worst;
}
