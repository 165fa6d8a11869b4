/**
 * `snca train --resume RUN_OR_CHECKPOINT`: continues an interrupted, failed or cancelled run
 * of this database under the same id, in this process, and waits for it like `snca train`.
 *
 * RUN_OR_CHECKPOINT is a run id (its latest checkpoint), or the path of a checkpoint file
 * this database recorded (that checkpoint of its run). A file no run of this database wrote
 * is refused: resuming needs the run's history (metrics, config) to continue; evaluate such
 * a file with `snca eval` instead. `--start-epoch N` (the reference's manual epoch counter on
 * restarts) is accepted when N is the epoch stored in the checkpoint the run continues from
 * (the counter already starts there: nothing to override), and refused otherwise: the epoch
 * a run continues from is the one stored in its checkpoint, together with the step counter,
 * the metric rows kept and the checkpoint names that follow it (resume from an older
 * `epoch-NNNN` checkpoint, kept with checkpoint.keepEvery, to go back). Config flags are
 * refused too: a resumed run keeps its stored config, so that it continues bit for bit.
 */
import type { AllowedDevices } from '../../shared/compute-devices.ts';
import { deviceCoreOptions } from './device-options.ts';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ApiError } from '../../shared/api-error.ts';
import type { BackendName } from '../../shared/domain.ts';
import { createCore } from '../core/core.ts';
import type { CliContext } from './cli-context.ts';
import { EXIT_FAILED, followRunToEnd } from './run-follow.ts';
import { ProgressPrinter } from './progress-printer.ts';

export interface ResumeInput {
  resume?: string;
  startEpoch?: number;
  evaluate?: boolean;
  backend?: BackendName;
  devices?: AllowedDevices;
  [flag: string]: unknown;
}

/**
 * Flags that may go with --resume (the rest would change the config, and are refused).
 * --start-epoch is checked against the checkpoint by runs.resume; -e is handled by
 * `snca train` before it gets here (train-evaluate.ts).
 */
const ALLOWED = new Set(['resume', 'backend', 'startEpoch']);

export function resumeFlagProblem(input: ResumeInput): string | null {
  if (input.evaluate) return '-e/--evaluate: use `snca train --resume RUN_OR_CHECKPOINT -e` or `snca eval RUN_OR_CHECKPOINT` to evaluate a checkpoint; nothing was started';
  const extra = Object.entries(input).filter(([k, v]) => v !== undefined && v !== false && !ALLOWED.has(k)).map(([k]) => k);
  if (extra.length > 0) {
    return `--resume continues a run with its stored config; it cannot be combined with ${extra.map(flagName).join(', ')}; nothing was started`;
  }
  return null;
}

/** runs.resume names its `startEpoch` field; on the command line that is --start-epoch. */
function startEpochRefusal(err: ApiError): string | null {
  const issue = err.issues?.find((i) => i.path === 'startEpoch');
  return issue ? `${issue.message.replace(/\bstartEpoch\b/g, '--start-epoch')}; nothing was started` : null;
}

function flagName(key: string): string {
  if (key === 'dataPath') return 'DATAPATH';
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

export async function resumeCommand(input: ResumeInput, ctx: CliContext): Promise<number> {
  const { io } = ctx;
  const say = (line: string) => io.stdout(`${line}\n`);
  const problem = resumeFlagProblem(input);
  if (problem) {
    io.stderr(`error: ${problem}\n`);
    return EXIT_FAILED;
  }
  const target = String(input.resume);
  const core = await createCore({
    ...ctx.coreOptions,
    ...deviceCoreOptions(ctx, input.devices),
    adoptQueued: false,
    ...(input.backend ? { backend: input.backend } : {}),
    diagnostics: ctx.coreOptions.diagnostics ?? ((line) => io.stderr(`snca: ${line}\n`)),
  });
  try {
    let runId: string;
    let checkpointId: number | undefined;
    const located = await core.call('runs.locate', { ref: target });
    if (located !== null && located.checkpointId === null) {
      runId = located.runId;
    } else {
      const path = resolve(process.cwd(), target);
      if (!existsSync(path)) {
        io.stderr(`error: --resume: "${target}" is neither a run id of this database (${core.home}) nor a checkpoint file\n`);
        return EXIT_FAILED;
      }
      if (located === null) {
        io.stderr(`error: --resume: ${path} is not a checkpoint of any run in this database (${core.home}); ` +
          'resume continues runs recorded here (set SNCA_HOME to the data folder that wrote it), or evaluate the file with `snca eval`\n');
        return EXIT_FAILED;
      }
      runId = located.runId;
      checkpointId = located.checkpointId ?? undefined;
    }

    const printer = new ProgressPrinter(say);
    core.bus.on('run.progress', (p) => p.runId === runId && printer.progress(p));
    core.bus.on('run.metrics', (m) => m.runId === runId && printer.metrics(m.points));
    core.bus.on('run.log', (l) => l.runId === runId && printer.log(l));
    let resumed;
    try {
      resumed = await core.call('runs.resume', {
        id: runId,
        ...(checkpointId !== undefined ? { checkpointId } : {}),
        ...(input.startEpoch !== undefined ? { startEpoch: input.startEpoch } : {}),
      });
    } catch (err) {
      if (err instanceof ApiError) {
        io.stderr(`error: ${startEpochRefusal(err) ?? err.message}\n`);
        return EXIT_FAILED;
      }
      throw err;
    }
    say(`Resuming run ${runId} "${resumed.name}" after epoch ${resumed.epochsDone}/${resumed.epochs} — data in ${core.home}`);

    return await followRunToEnd(core, runId, ctx, say);
  } finally {
    await core.close();
  }
}
