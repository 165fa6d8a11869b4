/** Following a run the CLI started (or resumed) until it ends, with Ctrl-C as cancel. */
import type { Core } from '../core/core.ts';
import type { CliContext } from './cli-context.ts';
import { formatDuration, formatMetricsLine } from './metric-format.ts';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_CANCELLED = 130;

/**
 * Waits for the run to end and prints how it ended. The first Ctrl-C cancels the run
 * (the worker stops at the next iteration); a second one closes the core at once.
 */
export async function followRunToEnd(core: Core, runId: string, ctx: CliContext, say: (line: string) => void): Promise<number> {
  const { io } = ctx;
  let interrupts = 0;
  const stopInterrupts = ctx.onInterrupt(() => {
    interrupts += 1;
    if (interrupts === 1) {
      io.stderr('\nCancelling the run… (press Ctrl-C again to stop at once)\n');
      core.call('runs.cancel', { id: runId }).catch(() => {
        // It ended in the meantime.
      });
    } else {
      io.stderr('Stopping now.\n');
      void core.close('Stopped with a second Ctrl-C while training.');
    }
  });
  try {
    const end = await core.runs.whenEnded(runId);
    const seconds = end.startedAt && end.endedAt ? (Date.parse(end.endedAt) - Date.parse(end.startedAt)) / 1000 : NaN;
    const metrics = formatMetricsLine(end.metrics);
    const where = end.backend ? ` on ${end.backend}${end.device ? ` (${end.device})` : ''}` : '';
    say(`Run ${runId} ${end.status} after ${formatDuration(seconds)}${where}, ${end.epochsDone}/${end.epochs} epochs${metrics ? ` — ${metrics}` : ''}`);
    if (end.error) io.stderr(`${end.status === 'interrupted' ? 'note' : 'error'}: ${end.error}\n`);
    if (end.status === 'completed') return EXIT_OK;
    return end.status === 'cancelled' || end.status === 'interrupted' ? EXIT_CANCELLED : EXIT_FAILED;
  } finally {
    stopInterrupts();
  }
}
