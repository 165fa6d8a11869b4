/**
 * `snca import FILE [--name NAME]`, `snca models [--json]` and `snca embed --model REF IMAGE...`:
 * imported PyTorch models, through the contract's models.* methods like the GUI.
 * - import follows the job on stderr (a progress line per phase, a bar on a terminal), prints
 *   the model on stdout; Ctrl-C cancels it (nothing is kept). Exit 0, 1 on error, 130 cancelled.
 * - embed prints one JSON array of embeddings per image, in the order given.
 */
import type { Command } from 'commander';
import type { Model, ModelImportProgress } from '../../shared/models.ts';
import { formatDownloadProgress } from '../acquire/download-progress.ts';
import type { CliContext } from './cli-context.ts';
import { withCore } from './core-session.ts';
import { backendName, nonEmptyText } from './option-parsers.ts';
import { EXIT_CANCELLED } from './run-follow.ts';
import type { BackendName } from '../../shared/domain.ts';

const PHASE_NOUN: Record<'hash' | 'read' | 'copy', string> = { hash: 'sha256', read: 'reading', copy: 'feature bank' };

/** One progress line: a bar while hashing or copying the bank, the phase name while reading. */
export function importProgressLine(p: ModelImportProgress): string {
  if (p.phase === 'hash' || p.phase === 'copy') {
    const bar = formatDownloadProgress({ url: '', path: '', receivedBytes: p.bytes, totalBytes: p.totalBytes, resumedFrom: 0, bytesPerSecond: p.bytesPerSec, done: false });
    return `${PHASE_NOUN[p.phase]} ${bar}`;
  }
  if (p.phase === 'read') return `reading and converting ${p.fileName}…`;
  return p.message ?? p.phase;
}

export function describeModel(m: Model): string {
  const pct = m.accuracy === null ? '—' : `${m.accuracy.toFixed(2)}%`;
  const bank = m.bankRows === null ? 'no bank' : `bank ${m.bankRows}×${m.bankDim}`;
  // T is stored as the file's float32 (0.05000000074505806): shown to 6 significant digits.
  const t = m.temperature === null ? '—' : String(Number(m.temperature.toPrecision(6)));
  return `${m.name}  [${m.id}]  ${m.arch} (width ${m.config.width}, ${m.config.lowDim}-d)  epoch ${m.epoch ?? '—'}  acc ${pct}  T ${t}  ${bank}  ${m.fileName} (${m.layout}, ${m.format})`;
}

export async function importCommand(file: string, opts: { name?: string }, ctx: CliContext): Promise<number> {
  const { io } = ctx;
  return withCore(ctx, async (core) => {
    let jobId: string | null = null;
    const early: ModelImportProgress[] = [];
    let lastDraw = 0;
    let drewBar = false;
    const draw = (p: ModelImportProgress) => {
      if (p.phase === 'done' || p.phase === 'error' || p.phase === 'cancelled') return;
      const now = Date.now();
      if (now - lastDraw < (io.isTTY ? 200 : 2000) && p.bytes > 0 && p.bytes < p.totalBytes) return;
      lastDraw = now;
      if (io.isTTY) {
        io.stderr(`\r\x1b[2K${importProgressLine(p)}`);
        drewBar = true;
      } else io.stderr(`${importProgressLine(p)}\n`);
    };
    const stopListening = core.bus.on('model.importProgress', (p) => {
      if (jobId === null) early.push(p);
      else if (p.jobId === jobId) draw(p);
    });
    const job = await core.call('models.import', { path: file, ...(opts.name !== undefined ? { name: opts.name } : {}) });
    jobId = job.jobId;
    for (const p of early) if (p.jobId === jobId) draw(p);
    const stopInterrupts = ctx.onInterrupt(() => {
      io.stderr('\nCancelling the import (nothing of it is kept)…\n');
      void core.call('models.cancelImport', { jobId: job.jobId });
    });
    try {
      const end = await core.models.whenImportEnded(job.jobId);
      if (drewBar) io.stderr('\r\x1b[2K');
      if (end?.phase === 'done' && end.modelId) {
        io.stdout(`${end.message ?? 'imported'}\n${describeModel(await core.call('models.get', { id: end.modelId }))}\n`);
        return 0;
      }
      io.stderr(`error: ${end?.message ?? 'the import ended without a result'}\n`);
      return end?.phase === 'cancelled' ? EXIT_CANCELLED : 1;
    } finally {
      stopInterrupts();
      stopListening();
    }
  });
}

export async function modelsCommand(opts: { json: boolean }, ctx: CliContext): Promise<number> {
  return withCore(ctx, async (core) => {
    const models = await core.call('models.list', {});
    if (opts.json) ctx.io.stdout(`${JSON.stringify(models, null, 2)}\n`);
    else if (models.length === 0) ctx.io.stdout('No imported models. Import one with: snca import FILE\n');
    else ctx.io.stdout(`${models.map(describeModel).join('\n')}\n`);
    return 0;
  });
}

export async function embedCommand(images: string[], opts: { model: string; backend?: BackendName }, ctx: CliContext): Promise<number> {
  return withCore(
    ctx,
    async (core) => {
      const result = await core.call('models.embed', { model: opts.model, images });
      ctx.io.stdout(`${JSON.stringify(result.embeddings)}\n`);
      return 0;
    },
    { backend: opts.backend },
  );
}

export function registerModelCommands(program: Command, ctx: CliContext, setExitCode: (code: number) => void): void {
  program
    .command('import')
    .description("import a PyTorch checkpoint of the reference (ImageNet .pth.tar or CIFAR .t7, legacy or zip serialisation) with its feature bank")
    .argument('<file>', 'the checkpoint file')
    .option('--name <name>', 'name of the model (default: the file name without extensions)', nonEmptyText(120))
    .action(async (file: string, opts: { name?: string }) => setExitCode(await importCommand(file, opts, ctx)));

  program
    .command('models')
    .description('list imported models with their provenance, newest first')
    .option('--json', 'print JSON', false)
    .action(async (opts: { json: boolean }) => setExitCode(await modelsCommand(opts, ctx)));

  program
    .command('embed')
    .description("print the embeddings of images as JSON, one array per image in order, through the model's val transform")
    .requiredOption('--model <ref>', 'an imported model (name or id), a run id (its best, else latest checkpoint) or a checkpoint file', nonEmptyText(4096))
    .option('--backend <name>', 'compute backend', backendName)
    .argument('<image...>', 'image files')
    .action(async (images: string[], opts: { model: string; backend?: BackendName }) => setExitCode(await embedCommand(images, opts, ctx)));
}
