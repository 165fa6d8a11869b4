/**
 * One command's use of the core: open it (no adopting of other processes' queued runs,
 * diagnostics on stderr), run the command, and close it; a refused contract call (ApiError)
 * is printed as `error: …` and gives exit code 1.
 */
import { ApiError } from '../../shared/api-error.ts';
import type { BackendName } from '../../shared/domain.ts';
import { createCore, type Core } from '../core/core.ts';
import type { CliContext } from './cli-context.ts';

export async function withCore(ctx: CliContext, fn: (core: Core) => Promise<number>, opts: { backend?: BackendName | undefined } = {}): Promise<number> {
  const diagnostics = ctx.coreOptions.diagnostics ?? ((line: string) => ctx.io.stderr(`snca: ${line}\n`));
  const core = await createCore({ ...ctx.coreOptions, adoptQueued: false, ...(opts.backend ? { backend: opts.backend } : {}), diagnostics });
  try {
    return await fn(core);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    ctx.io.stderr(`error: ${err.message}\n`);
    return 1;
  } finally {
    await core.close();
  }
}
