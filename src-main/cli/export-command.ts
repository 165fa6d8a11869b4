/**
 * `snca export RUN_OR_CHECKPOINT --format pth|safetensors [--out FILE]`: a checkpoint of ours
 * in the reference's PyTorch layout, through the contract's `checkpoints.export`.
 * Without --out the file goes to the current folder, named after the run or checkpoint.
 */
import type { Command } from 'commander';
import { basename, resolve } from 'node:path';
import { createCore } from '../core/core.ts';
import type { CliContext } from './cli-context.ts';
import { nonEmptyText, oneOf } from './option-parsers.ts';

type ExportFormat = 'pth' | 'safetensors';

/** `./<run id or checkpoint name>.<format>` */
export function defaultExportPath(ref: string, format: ExportFormat): string {
  return resolve(`${basename(ref).replace(/\.safetensors$/, '')}.${format}`);
}

export async function exportCommand(ref: string, opts: { format: ExportFormat; out?: string }, ctx: CliContext): Promise<number> {
  const core = await createCore({
    ...ctx.coreOptions,
    adoptQueued: false,
    diagnostics: ctx.coreOptions.diagnostics ?? ((line) => ctx.io.stderr(`snca: ${line}\n`)),
  });
  try {
    const out = resolve(opts.out ?? defaultExportPath(ref, opts.format));
    const r = await core.call('checkpoints.export', { ref, format: opts.format, out });
    const bank = r.bankRows > 0 ? `, memory bank ${r.bankRows} rows` : '';
    ctx.io.stdout(`wrote ${r.path} (${r.format}, ${r.bytes} bytes): ${r.arch} epoch ${r.epoch}, best_prec1 ${r.bestPrec1.toFixed(2)}${bank}\n`);
    return 0;
  } finally {
    await core.close();
  }
}

export function registerExportCommand(program: Command, ctx: CliContext, setExitCode: (code: number) => void): void {
  program
    .command('export')
    .description("write a checkpoint in the reference's PyTorch layout (state_dict with module. names, lemniscate, epoch, arch, best_prec1)")
    .argument('<run-or-checkpoint>', 'a run id (its best, else latest checkpoint) or a .safetensors checkpoint of ours')
    .option('--format <format>', "pth (torch's zip format, torch.load(..., weights_only=True)) or safetensors", oneOf(['pth', 'safetensors'] as const), 'pth')
    .option('--out <file>', 'output file (default: ./<run or checkpoint name>.<format>)', nonEmptyText(4096))
    .action(async (ref: string, opts: { format: ExportFormat; out?: string }) => setExitCode(await exportCommand(ref, opts, ctx)));
}
