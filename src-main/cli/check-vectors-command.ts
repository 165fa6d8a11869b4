/**
 * `snca check-vectors FILE...`: checks the engine's SNCA maths against reference vectors on
 * the selected backend. The engine is imported only when this command runs (it loads
 * TensorFlow.js). Exit code 1 when any file is unreadable or any case fails.
 */
import type { BackendName } from '../../shared/domain.ts';
import type { CliContext } from './cli-context.ts';

export async function checkVectorsCommand(files: readonly string[], opts: { backend?: BackendName }, ctx: CliContext): Promise<number> {
  const { io } = ctx;
  const { selectBackend } = await import('../engine/backend.ts');
  const { checkVectorsFile, formatVectorsReport } = await import('../engine/nca/vectors.ts');
  try {
    const info = await selectBackend(opts.backend ? { prefer: opts.backend } : {});
    io.stderr(`Backend: ${info.name} (${info.device})\n`);
  } catch (err) {
    io.stderr(`error: --backend: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  const results = [];
  let unreadable = 0;
  for (const file of files) {
    try {
      results.push(await checkVectorsFile(file));
    } catch (err) {
      unreadable += 1;
      io.stderr(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
  if (results.length > 0) io.stdout(`${formatVectorsReport(results)}\n`);
  return unreadable === 0 && results.every((r) => r.pass) ? 0 : 1;
}
