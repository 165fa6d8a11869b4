/**
 * The `snca` command line: commander definitions of every command, run in-process by
 * runCli (tests call it with an injected context). Every command opens the database first,
 * which runs the crash-recovery check (runs left `running` by a dead process → interrupted).
 */
import { Command, CommanderError, Option } from 'commander';
import { createCore } from '../core/core.ts';
import { DEFAULT_HOST, DEFAULT_PORT } from '../server/http-server.ts';
import { appVersion } from '../core/system-info.ts';
import { checkVectorsCommand } from './check-vectors-command.ts';
import { processContext, type CliContext } from './cli-context.ts';
import { backendName, integerIn, nonEmptyText, positiveNumberUpTo } from './option-parsers.ts';
import { runsCommand } from './runs-command.ts';
import { serveCommand } from './serve-command.ts';
import { trainCommand } from './train-command.ts';
import type { BackendName } from '../../shared/domain.ts';

interface TrainOptions {
  preset: string;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  name?: string;
  seed?: number;
  backend?: BackendName;
}

export function buildProgram(ctx: CliContext, setExitCode: (code: number) => void): Command {
  const program = new Command('snca')
    .description('SNCA Studio command line: train and inspect Scalable Neighborhood Component Analysis runs')
    .version(appVersion(), '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => ctx.io.stdout(s), writeErr: (s) => ctx.io.stderr(s) })
    .exitOverride();

  program
    .command('train')
    .description('train a run headless, in this process, recorded in the shared database')
    .option('--preset <id>', 'preset to start from', 'mnist-demo')
    .option('--epochs <n>', 'number of epochs', integerIn(1, 10000))
    .option('--batch-size <n>', 'images per batch', integerIn(1, 8192))
    .option('--lr <x>', 'initial learning rate', positiveNumberUpTo(10))
    .option('--name <text>', 'name of the run', nonEmptyText(120))
    .option('--seed <n>', 'random seed', integerIn(0, 2 ** 31 - 1))
    .option('--backend <name>', 'compute backend: tensorflow-gpu, tensorflow, wasm or cpu', backendName)
    .action(async (opts: TrainOptions) => setExitCode(await trainCommand(opts, ctx)));

  program
    .command('runs')
    .description('list runs, newest first')
    .option('--json', 'print JSON (accuracies as fractions)', false)
    .action(async (opts: { json: boolean }) => setExitCode(await runsCommand(opts, ctx)));

  program
    .command('serve')
    .description('serve the UI and API over HTTP + WebSocket on this machine')
    .option('--port <n>', `port (0 picks a free one)`, integerIn(0, 65535), DEFAULT_PORT)
    .option('--host <address>', 'address to listen on', nonEmptyText(255), DEFAULT_HOST)
    .addOption(new Option('--reason <text>', 'why serve mode instead of a window (npm start)').hideHelp())
    .action(async (opts: { port: number; host: string; reason?: string }, cmd: Command) => {
      const portExplicit = cmd.getOptionValueSource('port') === 'cli';
      setExitCode(await serveCommand({ ...opts, portExplicit }, ctx));
    });

  program
    .command('check-vectors')
    .description("check the engine's SNCA maths against reference test vectors")
    .argument('<file...>', 'vectors JSON files')
    .option('--backend <name>', 'compute backend to check', backendName)
    .action(async (files: string[], opts: { backend?: BackendName }) => {
      // No run is touched here, but every CLI start checks for runs left by a crash.
      await (await createCore({ ...ctx.coreOptions, adoptQueued: false, diagnostics: ctx.coreOptions.diagnostics ?? ((l) => ctx.io.stderr(`snca: ${l}\n`)) })).close();
      setExitCode(await checkVectorsCommand(files, opts, ctx));
    });

  return program;
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function runCli(argv: readonly string[], ctx: CliContext = processContext()): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(ctx, (code) => (exitCode = code));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode; // commander already printed the message
    ctx.io.stderr(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
