/**
 * `snca runs [--json] [--where QUERY]`: runs in the database, newest first; with --where
 * only those matching a runs query (the language of the app's query box), through the
 * same `runs.query` method and its validation.
 */
import { ApiError } from '../../shared/api-error.ts';
import { createCore, type Core } from '../core/core.ts';
import { compareRunsNewestFirst } from '../../shared/runs-list.ts';
import type { RunSummary } from '../../shared/domain.ts';
import type { CliContext } from './cli-context.ts';
import { formatRunsTable, toRunJson } from './runs-table.ts';

/** The most runs one `--where` listing prints. */
const WHERE_LIMIT = 5000;

/** Every run, newest first, page by page (the first page's active runs are in their place). */
async function allRuns(core: Core): Promise<RunSummary[]> {
  const byId = new Map<string, RunSummary>();
  let page = await core.call('runs.list', {});
  for (;;) {
    for (const r of page.runs) byId.set(r.id, r);
    if (!page.next) break;
    page = await core.call('runs.list', { before: page.next });
  }
  return [...byId.values()].sort(compareRunsNewestFirst);
}

export async function runsCommand(opts: { json: boolean; where?: string }, ctx: CliContext): Promise<number> {
  const diagnostics = ctx.coreOptions.diagnostics ?? ((line: string) => ctx.io.stderr(`snca: ${line}\n`));
  const core = await createCore({ ...ctx.coreOptions, adoptQueued: false, diagnostics });
  try {
    let runs: RunSummary[];
    if (opts.where === undefined) {
      runs = await allRuns(core);
    } else {
      try {
        runs = (await core.call('runs.query', { where: opts.where, limit: WHERE_LIMIT })).rows.map((r) => r.run);
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        ctx.io.stderr(`error: ${err.issues?.map((i) => i.message).join('; ') ?? err.message}\n`);
        return 2;
      }
    }
    if (opts.where !== undefined && runs.length === 0 && !opts.json) ctx.io.stdout('No runs match the query.\n');
    else ctx.io.stdout(opts.json ? `${JSON.stringify(runs.map(toRunJson), null, 2)}\n` : formatRunsTable(runs));
    return 0;
  } finally {
    await core.close();
  }
}
