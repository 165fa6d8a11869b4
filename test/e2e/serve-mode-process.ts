/**
 * The real serve mode in a child process, assembled from the main side's own pieces
 * (createCore + startServer) for as long as the `snca serve` CLI is not there; the harness
 * prefers the CLI when it exists. Prints the tokened URL like `snca serve` does, and shuts
 * the core down cleanly on SIGTERM/SIGINT.
 * Usage: SNCA_HOME=… node --import tsx test/e2e/serve-mode-process.ts --port N
 */
import { createCore } from '../../src-main/core/core.ts';
import { startServer } from '../../src-main/server/http-server.ts';

const portArg = process.argv.indexOf('--port');
const port = portArg >= 0 ? Number(process.argv[portArg + 1]) : 0;

const core = await createCore({ shell: 'serve' });
const server = await startServer({ handlers: core.handlers, bus: core.bus, thumbnails: core.thumbnails.source, host: '127.0.0.1', port });
console.log(`SNCA Studio serve mode: ${server.url}`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await server.close();
  await core.close('The e2e serve process was stopped.');
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
