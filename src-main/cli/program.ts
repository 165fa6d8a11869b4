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
import { backendName, deviceList, integerIn, nonEmptyText, numberIn, oneOf, positiveNumberUpTo } from './option-parsers.ts';
import { registerDataCommand } from './data-command.ts';
import { registerClusterJobCommands } from './cluster-job-command.ts';
import { registerClusterCommands } from './cluster-command.ts';
import { registerModelCommands } from './models-command.ts';
import { FOLDER_DATASET_KINDS } from '../../shared/run-config.ts';
import type { TrainCommandInput } from './train-config.ts';
import { runsCommand } from './runs-command.ts';
import { doctorCommand } from './doctor-command.ts';
import { registerEvalCommands } from './eval-commands-registration.ts';
import { registerExportCommand } from './export-command.ts';
import { serveCommand } from './serve-command.ts';
import { trainCommand } from './train-command.ts';
import { BACKEND_NAMES, type BackendName } from '../../shared/domain.ts';
import type { AllowedDevices } from '../../shared/compute-devices.ts';

type TrainOptions = Omit<TrainCommandInput, 'dataPath'>;

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
    .argument('[DATAPATH]', 'dataset folder, as in the reference CLI: a CIFAR folder (or the folder holding it) or an ImageFolder root with train/ and val/')
    .option('--preset <id>', 'preset to start from (default: cifar10-paper or imagenet-resnetXX from DATAPATH, else mnist-demo)')
    .option('--dataset <kind>', `kind of DATAPATH when it cannot be guessed: ${FOLDER_DATASET_KINDS.join(', ')}`, oneOf(FOLDER_DATASET_KINDS))
    .option('--arch <name>', 'network: resnet18, resnet34, resnet50 (their CIFAR versions on CIFAR data), or an app name such as small-convnet')
    .option('-j, --workers <n>', 'data-loading workers', integerIn(0, 64))
    .option('-b, --batch-size <n>', 'images per batch', integerIn(1, 8192))
    .option('--lr <x>', 'initial learning rate', positiveNumberUpTo(10))
    .option('--momentum <x>', 'SGD momentum', numberIn(0, 0.999))
    .option('--wd <x>', 'weight decay', numberIn(0, 1))
    .option('--epochs <n>', 'number of epochs', integerIn(1, 10000))
    .option('--start-epoch <n>', 'first epoch (reference semantics): a new run starts its loop and schedules there; with --resume it must equal the checkpoint epoch', integerIn(0, 10000))
    .option('--resume <path>', 'run id or checkpoint file to resume from', nonEmptyText(4096))
    .option('-e, --evaluate', 'evaluate the --resume checkpoint (a run: its best, else latest) on the val split of its dataset, or of DATAPATH, without training (as `snca eval`)')
    .option('--k <n>', 'with -e: neighbours that vote in the kNN evaluation (default 30)', integerIn(1, 1000))
    .option('--low-dim <n>', 'embedding size', integerIn(2, 4096))
    .option('--temperature <x>', 'temperature of the NCA softmax', numberIn(0.001, 10))
    .option('--memory-momentum <x>', "memory-bank momentum (constant: replaces the preset's schedule)", numberIn(0, 1))
    .option('--iter-size <n>', 'batches per optimizer step (gradient accumulation)', integerIn(1, 64))
    .option('--margin <x>', 'classification margin of the NCA loss', numberIn(0, 10))
    .option('--name <text>', 'name of the run', nonEmptyText(120))
    .option('--seed <n>', 'random seed', integerIn(0, 2 ** 31 - 1))
    .option('--backend <name>', `compute backend: ${BACKEND_NAMES.join(', ')}`, backendName)
    .option('--devices <list>', 'GPUs jobs may use: "all" or indices such as 1,3 (one job per GPU; default: the settings, else all)', deviceList)
    .option('--on <cluster>', 'submit to a registered Slurm cluster (snca cluster add) instead of training here', nonEmptyText(40))
    .option('--partition <name>', "with --on: Slurm partition (default: the cluster's)", nonEmptyText(64))
    .option('--gpus <n>', "with --on: GPUs per run (default: the cluster's)", integerIn(0, 64))
    .option('--time <limit>', "with --on: Slurm time limit, e.g. 2-00:00:00 (default: the cluster's)", nonEmptyText(32))
    .option('--auto-resubmit <n>', "with --on: resubmit a run interrupted by a time limit, preemption or node failure at most N times (default: the cluster's)", integerIn(0, 20))
    .option('--sweep <path=v1,v2>', 'one run per combination of swept values (repeatable), e.g. --sweep lr=0.1,0.05', (v: string, all: string[] = []) => [...all, v])
    .action(async (dataPath: string | undefined, opts: TrainOptions) => setExitCode(await trainCommand({ ...opts, dataPath }, ctx)));

  registerDataCommand(program, ctx, setExitCode);
  registerClusterJobCommands(program, ctx, setExitCode);
  registerClusterCommands(program, ctx, setExitCode);
  registerModelCommands(program, ctx, setExitCode);

  const runs = program
    .command('runs')
    .description('list runs, newest first')
    .option('--json', 'print JSON (accuracies as fractions)', false)
    .option('--where <query>', 'only runs matching a query, e.g. "arch = resnet18 and knn_top1 > 0.9 and tag:baseline and created > 2026-11-01"')
    .action(async (opts: { json: boolean; where?: string }) => setExitCode(await runsCommand(opts, ctx)));
  registerEvalCommands(program, runs, ctx, setExitCode);
  registerExportCommand(program, ctx, setExitCode);

  program
    .command('serve')
    .description('serve the UI and API over HTTP + WebSocket on this machine')
    .option('--port <n>', `port (0 picks a free one)`, integerIn(0, 65535), DEFAULT_PORT)
    .option('--host <address>', 'address to listen on; anything but loopback is remote access (see --public-name, --tls-cert)', nonEmptyText(255), DEFAULT_HOST)
    .option('--public-name <name>', 'host name (NAME or NAME:PORT) clients use for this server; the only Host accepted off loopback; repeatable', (v: string, all: string[]) => [...all, nonEmptyText(255)(v)], [] as string[])
    .option('--tls-cert <file>', 'PEM certificate chain: serve HTTPS and WSS (with --tls-key)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--devices <list>', 'GPUs jobs may use: "all" or indices such as 1,3 (one job per GPU; default: the settings, else all)', deviceList)
    .option('--max-model-upload <MiB>', 'largest checkpoint a browser may upload to import, in MiB (default 8192)', integerIn(1, 1024 * 1024))
    .addOption(new Option('--reason <text>', 'why serve mode instead of a window (npm start)').hideHelp())
    .action(async (opts: { port: number; host: string; publicName: string[]; tlsCert?: string; tlsKey?: string; reason?: string; devices?: AllowedDevices; maxModelUpload?: number }, cmd: Command) => {
      const portExplicit = cmd.getOptionValueSource('port') === 'cli';
      setExitCode(await serveCommand({ ...opts, portExplicit }, ctx));
    });

  program
    .command('doctor')
    .description('check every compute backend: installed, loads, device, measured matmul GFLOP/s, and why one is missing')
    .option('--json', 'print the report as JSON', false)
    .action(async (opts: { json: boolean }) => setExitCode(await doctorCommand(opts, ctx)));

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
