/**
 * `snca doctor [--json]`: for every backend whether it is installed, whether it loads, its
 * device and measured matmul GFLOP/s, and when it is missing the reason and the fix,
 * through the contract's `system.doctor` method. Exit code 0 when a backend other than the
 * pure-JS cpu one loads (the app can run), 1 otherwise. It opens no database: it runs as is on
 * a cluster's compute node (`snca cluster check`), where the app's database never is.
 */
import { ApiError } from '../../shared/api-error.ts';
import { createDoctorCore } from '../core/doctor-core.ts';
import type { DoctorReport } from '../../shared/domain.ts';
import type { CliContext } from './cli-context.ts';

export function formatDoctorReport(report: DoctorReport): string {
  const rows = report.backends.map((b) => [
    b.backend,
    b.installed ? 'yes' : 'no',
    b.loads ? 'yes' : 'no',
    b.device ?? '—',
    b.gflops === null ? '—' : `${b.gflops < 10 ? b.gflops.toFixed(2) : b.gflops.toFixed(1)} (n=${b.probeSize})`,
  ]);
  const head = ['backend', 'installed', 'loads', 'device', 'matmul GFLOP/s'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [line(head), ...rows.map(line)];
  const notes = report.backends.filter((b) => b.reason);
  if (notes.length) out.push('');
  for (const b of notes) out.push(`${b.backend}: ${b.reason}${b.fix ? `\n  fix: ${b.fix}` : ''}`);
  out.push('', report.chosen ? `New runs use: ${report.chosen}` : 'No backend loads: runs cannot start on this machine.');
  return `${out.join('\n')}\n`;
}

export async function doctorCommand(opts: { json: boolean }, ctx: CliContext): Promise<number> {
  const diagnostics = ctx.coreOptions.diagnostics ?? ((line: string) => ctx.io.stderr(`snca: ${line}\n`));
  const core = createDoctorCore({ doctorWorkerEntry: ctx.coreOptions.doctorWorkerEntry, diagnostics });
  let report: DoctorReport;
  try {
    report = await core.call('system.doctor', { refresh: true });
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    ctx.io.stderr(`error: ${err.message}\n`);
    return 1;
  }
  ctx.io.stdout(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatDoctorReport(report));
  return report.backends.some((b) => b.loads && b.backend !== 'cpu') ? 0 : 1;
}
