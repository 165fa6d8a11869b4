/** `snca runs [--json]`: every run in the database, newest first. */
import { createCore } from '../core/core.ts';
import type { CliContext } from './cli-context.ts';
import { formatRunsTable, toRunJson } from './runs-table.ts';

export async function runsCommand(opts: { json: boolean }, ctx: CliContext): Promise<number> {
  const core = await createCore({
    ...ctx.coreOptions,
    adoptQueued: false,
    diagnostics: ctx.coreOptions.diagnostics ?? ((line) => ctx.io.stderr(`snca: ${line}\n`)),
  });
  try {
    const runs = core.runs.list();
    ctx.io.stdout(opts.json ? `${JSON.stringify(runs.map(toRunJson), null, 2)}\n` : formatRunsTable(runs));
    return 0;
  } finally {
    await core.close();
  }
}
