/**
 * `snca serve`: the UI and API over HTTP + WebSocket, until Ctrl-C. On 127.0.0.1 by default;
 * another address is remote access, answered only under `--public-name`, and over HTTPS + WSS
 * with `--tls-cert/--tls-key` (without them a warning recommends an SSH tunnel instead).
 */
import { readFile } from 'node:fs/promises';
import { createCore } from '../core/core.ts';
import { isLoopbackBind } from '../server/request-guards.ts';
import { DEFAULT_PORT, ServerStartError, startServer, type RunningServer } from '../server/http-server.ts';
import type { CliContext } from './cli-context.ts';
import { deviceCoreOptions } from './device-options.ts';
import type { AllowedDevices } from '../../shared/compute-devices.ts';

export interface ServeFlags {
  port: number;
  host: string;
  /** Whether --port was given (a taken default port then falls back to a free one). */
  portExplicit: boolean;
  /** Names clients use for the server (`NAME` or `NAME:PORT`); the printed URL uses the first. */
  publicName?: string[];
  tlsCert?: string;
  tlsKey?: string;
  /** Why serve mode instead of a window (from `npm start`); printed before the URL. */
  reason?: string;
  rendererDir?: string;
  /** `--devices`: the GPUs jobs may use (default: the settings, else all). */
  devices?: AllowedDevices;
  /** `--max-model-upload`: the largest checkpoint upload, in MiB. */
  maxModelUpload?: number;
}

async function readTls(flags: ServeFlags): Promise<{ cert: Buffer; key: Buffer } | undefined | string> {
  if (flags.tlsCert === undefined && flags.tlsKey === undefined) return undefined;
  if (flags.tlsCert === undefined || flags.tlsKey === undefined) return '--tls-cert and --tls-key go together (PEM certificate chain and its private key)';
  const read = async (flag: string, path: string) => {
    try {
      return await readFile(path);
    } catch (err) {
      throw new Error(`${flag} ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : err instanceof Error ? err.message : String(err)}`);
    }
  };
  try {
    return { cert: await read('--tls-cert', flags.tlsCert), key: await read('--tls-key', flags.tlsKey) };
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** The advice printed when the API crosses the network as plain HTTP. */
export function plainHttpWarning(host: string, port: number): string {
  return (
    `warning: serving plain HTTP on ${host}: the access token and every answer cross the network unencrypted. ` +
    `Prefer the default bind (127.0.0.1) and an SSH tunnel from your computer: ` +
    `ssh -N -L ${port}:127.0.0.1:${port} USER@THIS-MACHINE, then open http://127.0.0.1:${port}/?token=… there; ` +
    `or give --tls-cert and --tls-key.\n`
  );
}

export async function serveCommand(flags: ServeFlags, ctx: CliContext): Promise<number> {
  const { io } = ctx;
  const tls = await readTls(flags);
  if (typeof tls === 'string') {
    io.stderr(`error: ${tls}\n`);
    return 1;
  }
  const diagnostics = ctx.coreOptions.diagnostics ?? ((line: string) => io.stderr(`snca: ${line}\n`));
  const core = await createCore({
    shell: 'serve',
    ...ctx.coreOptions,
    ...deviceCoreOptions(ctx, flags.devices),
    ...(flags.maxModelUpload !== undefined ? { uploadLimits: { model: flags.maxModelUpload * 1024 * 1024 } } : {}),
    diagnostics,
  });
  let server: RunningServer;
  try {
    const options = {
      handlers: core.handlers,
      bus: core.bus,
      thumbnails: core.thumbnails.source,
      uploads: (req: Parameters<typeof core.uploads.receive>[0]) => core.uploads.receive(req),
      host: flags.host,
      ...(flags.publicName && flags.publicName.length > 0 ? { publicNames: flags.publicName } : {}),
      ...(tls ? { tls } : {}),
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
  if (!isLoopbackBind(flags.host)) {
    io.stderr(`note: listening on ${flags.host}: other machines can reach this server; it answers only as ${server.origin} and needs the token\n`);
    if (!server.tls) io.stderr(plainHttpWarning(flags.host, server.port));
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
