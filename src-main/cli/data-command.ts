/**
 * `snca data`: get CIFAR onto this machine and check dataset folders.
 *   snca data download cifar10 [--root DIR] [--format python|binary] [--url URL]
 *   snca data import cifar10 ARCHIVE [--root DIR]
 *   snca data check PATH [--dataset KIND]
 * Downloads, imports and checks are contract calls (datasets.download, datasets.import,
 * datasets.validate), the same jobs the GUI starts; progress is drawn on stderr.
 */
import type { Command } from 'commander';
import { ApiError } from '../../shared/api-error.ts';
import { CIFAR_FORMATS, type CifarFormat, type DatasetProgress } from '../../shared/datasets.ts';
import { CIFAR_KINDS, FOLDER_DATASET_KINDS, type CifarKind, type FolderDatasetKind } from '../../shared/run-config.ts';
import { createCore } from '../core/core.ts';
import { formatDownloadProgress } from '../acquire/download-progress.ts';
import { cifarArchive } from '../acquire/cifar-archive.ts';
import type { CifarSource as CoreCifarSource } from '../core/datasets-service.ts';
import type { Core } from '../core/core.ts';
import type { CliContext } from './cli-context.ts';
import { DataPathError, inferDataPath } from './datapath.ts';
import { nonEmptyText, oneOf } from './option-parsers.ts';

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_CANCELLED = 130;

/** One progress line: the bar while downloading, the phase name after. */
export function progressLine(p: DatasetProgress): string {
  switch (p.phase) {
    case 'download':
      return formatDownloadProgress({
        url: '',
        path: p.root,
        receivedBytes: p.bytes,
        totalBytes: p.totalBytes,
        resumedFrom: 0,
        bytesPerSecond: p.bytesPerSec,
        done: false,
      });
    case 'verify':
      return 'checking md5…';
    case 'extract':
      return 'extracting…';
    case 'done':
      return p.message ?? 'done';
    case 'error':
      return p.message ?? 'failed';
  }
}

async function runJob(ctx: CliContext, start: (core: Core) => Promise<{ jobId: string; root: string }>, cifarUrl?: string): Promise<number> {
  const { io } = ctx;
  const core = await createCore({
    ...ctx.coreOptions,
    ...(cifarUrl ? { cifarSource: urlSource(cifarUrl, ctx.coreOptions.cifarSource) } : {}),
    adoptQueued: false,
    diagnostics: ctx.coreOptions.diagnostics ?? ((line) => io.stderr(`snca: ${line}\n`)),
  });
  let stopInterrupts = () => {};
  try {
    let jobId: string | null = null;
    let last: DatasetProgress | null = null;
    let lastDraw = 0;
    let drewBar = false;
    const pending: DatasetProgress[] = [];
    const tty = io.isTTY;
    const draw = (p: DatasetProgress) => {
      const previous = last;
      last = p;
      if (p.phase === 'done' || p.phase === 'error') return;
      const now = Date.now();
      if (p.phase === 'download' && previous?.phase === 'download' && now - lastDraw < (tty ? 200 : 2000)) return;
      lastDraw = now;
      const line = progressLine(p);
      if (tty) {
        io.stderr(`\r\x1b[2K${line}`);
        drewBar = true;
      } else io.stderr(`${line}\n`);
    };
    core.bus.on('dataset.progress', (p) => {
      if (jobId === null) pending.push(p);
      else if (p.jobId === jobId) draw(p);
    });
    let job;
    try {
      job = await start(core);
    } catch (err) {
      if (err instanceof ApiError) {
        io.stderr(`error: ${err.message}\n`);
        return EXIT_FAILED;
      }
      throw err;
    }
    jobId = job.jobId;
    for (const p of pending) if (p.jobId === jobId) draw(p);
    let cancelled = false;
    stopInterrupts = ctx.onInterrupt(() => {
      cancelled = true;
      io.stderr('\nCancelling… (a partial download is kept and resumed next time)\n');
      core.call('datasets.cancelDownload', { jobId: job.jobId }).catch((err: unknown) => {
        io.stderr(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      });
    });
    await core.datasets.whenEnded(job.jobId);
    const end = last as DatasetProgress | null;
    if (drewBar) io.stderr('\r\x1b[2K');
    if (end?.phase === 'done') {
      io.stdout(`${end.message ?? 'done'}\n`);
      io.stdout(`Dataset root: ${job.root}\n`);
      return EXIT_OK;
    }
    io.stderr(`error: ${end?.message ?? 'the job ended without a result'}\n`);
    return cancelled ? EXIT_CANCELLED : EXIT_FAILED;
  } finally {
    stopInterrupts();
    await core.close();
  }
}

/** `--url`: a mirror of the official archive; the official md5 is still required. */
function urlSource(url: string, fallback: CoreCifarSource | undefined): CoreCifarSource {
  return (kind, format) => {
    const md5 = fallback?.(kind, format).md5;
    return { url, md5: md5 ?? officialMd5(kind, format) };
  };
}

function officialMd5(kind: CifarKind, format: CifarFormat): string {
  return cifarArchive(kind, format).md5;
}

export async function dataCheckCommand(path: string, forced: FolderDatasetKind | undefined, ctx: CliContext): Promise<number> {
  const { io } = ctx;
  let inferred;
  try {
    inferred = await inferDataPath(path, forced);
  } catch (err) {
    if (!(err instanceof DataPathError)) throw err;
    io.stderr(`error: ${err.message.replace(/^DATAPATH: /, '')}\n`);
    return EXIT_FAILED;
  }
  const core = await createCore({ ...ctx.coreOptions, adoptQueued: false, diagnostics: ctx.coreOptions.diagnostics ?? ((l) => io.stderr(`snca: ${l}\n`)) });
  try {
    const v = await core.call('datasets.validate', { spec: { kind: inferred.kind, root: inferred.root } });
    if (!v.ok) {
      io.stderr(`error: ${v.message}\n`);
      return EXIT_FAILED;
    }
    const s = v.summary;
    const counts = s && s.trainCount !== null ? `, ${s.trainCount} train / ${s.valCount} val images` : '';
    io.stdout(`OK: ${inferred.kind} in ${s?.dir ?? inferred.root}${s?.format ? ` (${s.format})` : ''}, ${s?.classes ?? '?'} classes${counts}\n`);
    return EXIT_OK;
  } finally {
    await core.close();
  }
}

export function registerDataCommand(program: Command, ctx: CliContext, setExitCode: (code: number) => void): void {
  const data = program.command('data').description('download, import and check datasets');
  data
    .command('download')
    .description('download the official CIFAR archive (md5-checked, resumes a broken download) and extract it')
    .argument('<kind>', `dataset: ${CIFAR_KINDS.join(' or ')}`, oneOf(CIFAR_KINDS))
    .option('--root <dir>', 'folder to extract into (default: $SNCA_HOME/datasets/<kind>)', nonEmptyText(4096))
    .option('--format <format>', 'python or binary version of the archive', oneOf(CIFAR_FORMATS), 'python')
    .option('--url <url>', 'a mirror of the official archive (its md5 must still be the official one)', nonEmptyText(4096))
    .action(async (kind: CifarKind, opts: { root?: string; format: CifarFormat; url?: string }) => {
      setExitCode(await runJob(ctx, (core) => core.call('datasets.download', { kind, format: opts.format, ...(opts.root !== undefined ? { root: opts.root } : {}) }), opts.url));
    });
  data
    .command('import')
    .description('extract a local copy of the official CIFAR archive (no network)')
    .argument('<kind>', `dataset: ${CIFAR_KINDS.join(' or ')}`, oneOf(CIFAR_KINDS))
    .argument('<archive>', 'the .tar.gz file')
    .option('--root <dir>', 'folder to extract into (default: $SNCA_HOME/datasets/<kind>)', nonEmptyText(4096))
    .action(async (kind: CifarKind, archive: string, opts: { root?: string }) => {
      setExitCode(await runJob(ctx, (core) => core.call('datasets.import', { kind, archivePath: archive, ...(opts.root !== undefined ? { root: opts.root } : {}) })));
    });
  data
    .command('check')
    .description('check a dataset folder (layout, class folders, CIFAR batch files) as a run would before training')
    .argument('<path>', 'a CIFAR folder (or the folder holding it) or an ImageFolder root with train/ and val/')
    .option('--dataset <kind>', `kind of PATH when it cannot be guessed: ${FOLDER_DATASET_KINDS.join(', ')}`, oneOf(FOLDER_DATASET_KINDS))
    .action(async (path: string, opts: { dataset?: FolderDatasetKind }) => setExitCode(await dataCheckCommand(path, opts.dataset, ctx)));
}
