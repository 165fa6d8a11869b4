/**
 * `snca train`: the same job the GUI runs, in this process, recorded in the same database
 * (so it shows up in the GUI). Prints progress and the final metrics; exit code 0 when the
 * run completed, 1 when it failed, 130 when cancelled with Ctrl-C (a second Ctrl-C stops at once).
 */
import { ApiError } from '../../shared/api-error.ts';
import type { RunSummary } from '../../shared/domain.ts';
import { createCore } from '../core/core.ts';
import type { CliContext } from './cli-context.ts';
import { formatDuration, formatMetricsLine } from './metric-format.ts';
import { ProgressPrinter } from './progress-printer.ts';
import { buildTrainConfig, describeForCli, type TrainFlags } from './train-config.ts';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_CANCELLED = 130;

export async function trainCommand(flags: TrainFlags, ctx: CliContext): Promise<number> {
  const { io } = ctx;
  const say = (line: string) => io.stdout(`${line}\n`);
  const built = buildTrainConfig(flags);
  if (!built.ok) {
    io.stderr(`error: ${built.message}\n`);
    return EXIT_FAILED;
  }
  const core = await createCore({
    ...ctx.coreOptions,
    adoptQueued: false,
    ...(flags.backend ? { backend: flags.backend } : {}),
    diagnostics: ctx.coreOptions.diagnostics ?? ((line) => io.stderr(`snca: ${line}\n`)),
  });
  let stopInterrupts = () => {};
  try {
    const printer = new ProgressPrinter(say);
    let runId: string | null = null;
    core.bus.on('run.progress', (p) => p.runId === runId && printer.progress(p));
    core.bus.on('run.metrics', (m) => m.runId === runId && printer.metrics(m.points));
    core.bus.on('run.log', (l) => l.runId === runId && printer.log(l));

    let created: RunSummary;
    try {
      created = core.runs.create(built.config);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'invalid_input' && err.issues) {
        io.stderr(`error: ${describeForCli(err.issues, flags.preset)}\n`);
        return EXIT_FAILED;
      }
      throw err;
    }
    runId = created.id;
    const id = created.id;
    say(`Run ${id} "${created.name}" (${created.preset}, ${created.arch}, ${created.epochs} epochs) — data in ${core.home}`);

    let interrupts = 0;
    stopInterrupts = ctx.onInterrupt(() => {
      interrupts += 1;
      if (interrupts === 1) {
        io.stderr('\nCancelling the run… (press Ctrl-C again to stop at once)\n');
        try {
          core.runs.cancel(id);
        } catch {
          // It ended in the meantime.
        }
      } else {
        io.stderr('Stopping now.\n');
        void core.close('Stopped with a second Ctrl-C while training.');
      }
    });

    const end = await core.runs.whenEnded(id);
    const seconds = end.startedAt && end.endedAt ? (Date.parse(end.endedAt) - Date.parse(end.startedAt)) / 1000 : NaN;
    const metrics = formatMetricsLine(end.metrics);
    const where = end.backend ? ` on ${end.backend}${end.device ? ` (${end.device})` : ''}` : '';
    say(`Run ${id} ${end.status} after ${formatDuration(seconds)}${where}, ${end.epochsDone}/${end.epochs} epochs${metrics ? ` — ${metrics}` : ''}`);
    if (end.error) io.stderr(`${end.status === 'interrupted' ? 'note' : 'error'}: ${end.error}\n`);
    if (end.status === 'completed') return EXIT_OK;
    return end.status === 'cancelled' || end.status === 'interrupted' ? EXIT_CANCELLED : EXIT_FAILED;
  } finally {
    stopInterrupts();
    await core.close();
  }
}
