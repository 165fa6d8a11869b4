/** `snca serve`: the UI and API over HTTP + WebSocket on this machine, until Ctrl-C. */
import { createCore } from '../core/core.ts';
import { DEFAULT_PORT, ServerStartError, startServer, type RunningServer } from '../server/http-server.ts';
import type { CliContext } from './cli-context.ts';

export interface ServeFlags {
  port: number;
  host: string;
  /** Whether --port was given (a taken default port then falls back to a free one). */
  portExplicit: boolean;
  /** Why serve mode instead of a window (from `npm start`); printed before the URL. */
  reason?: string;
  rendererDir?: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export async function serveCommand(flags: ServeFlags, ctx: CliContext): Promise<number> {
  const { io } = ctx;
  const diagnostics = ctx.coreOptions.diagnostics ?? ((line: string) => io.stderr(`snca: ${line}\n`));
  const core = await createCore({ shell: 'serve', ...ctx.coreOptions, diagnostics });
  let server: RunningServer;
  try {
    const options = {
      handlers: core.handlers,
      bus: core.bus,
      host: flags.host,
      diagnostics,
      ...(flags.rendererDir ? { rendererDir: flags.rendererDir } : {}),
    };
    try {
      server = await startServer({ ...options, port: flags.port });
    } catch (err) {
      if (!(err instanceof ServerStartError && err.code === 'EADDRINUSE' && !flags.portExplicit)) throw err;
      server = await startServer({ ...options, port: 0 });
      io.stderr(`note: port ${DEFAULT_PORT} is taken; using ${server.port} instead\n`);
    }
  } catch (err) {
    await core.close();
    io.stderr(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  if (!LOOPBACK.has(flags.host)) {
    io.stderr(`warning: listening on ${flags.host}: other machines can reach this server (the token is still required)\n`);
  }
  io.stdout(flags.reason ? `${flags.reason} — serving the UI at ${server.url}\n` : `Serving the UI at ${server.url} (Ctrl-C stops)\n`);

  await new Promise<void>((resolve) => {
    const stop = ctx.onInterrupt(() => {
      stop();
      resolve();
    });
  });
  await server.close();
  await core.close('The server was stopped while the run was training.');
  return 0;
}
