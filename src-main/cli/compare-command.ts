/**
 * `snca compare SIDE SIDE [SIDE SIDE] [--k 30] [--sigma X] [--recompute-memory] [--data DATAPATH] [--json]`:
 * 2–4 checkpoints or imported models compared on the same val split, K and sigma through
 * `compare.checkpoints`. A SIDE is a run id (its best, else latest checkpoint), a checkpoint
 * file of a run, a checkpoint id, or an imported model (name or id). Missing evaluations run
 * as jobs (their progress on stderr; Ctrl-C cancels them); then top-1/top-5 per side and
 * McNemar's exact test per pair are printed. Exit 0 with a comparison, 1 without, 130 cancelled.
 */
import type { CompareCheckpointsResult, CompareSide } from '../../shared/checkpoint-compare.ts';
import type { DatasetSpecInput } from '../../shared/run-config.ts';
import { createCore, type Core } from '../core/core.ts';
import { preferredCheckpoint } from '../core/evaluations-service.ts';
import type { CliContext } from './cli-context.ts';
import { EXIT_CANCELLED } from './run-follow.ts';

export interface CompareOptions {
  k?: number;
  sigma?: number;
  recomputeMemory?: boolean;
  dataset?: DatasetSpecInput;
  json?: boolean;
}

const LETTERS = ['A', 'B', 'C', 'D'];

/** What a SIDE argument names, or why it names nothing. */
async function sideOf(core: Core, ref: string): Promise<CompareSide | string> {
  const located = await core.call('runs.locate', { ref });
  if (located?.checkpointId != null) return { kind: 'checkpoint', id: located.checkpointId };
  if (located) {
    const best = preferredCheckpoint(await core.call('runs.checkpoints', { id: located.runId }));
    return best ? { kind: 'checkpoint', id: best.id } : `run ${ref} has no checkpoint yet`;
  }
  const model = (await core.call('models.list', {})).find((m) => m.name === ref || m.id === ref);
  if (model) return { kind: 'model', modelId: model.id };
  if (/^\d+$/.test(ref)) return { kind: 'checkpoint', id: Number(ref) };
  return `${ref} is no run, checkpoint or imported model`;
}

export async function compareCommand(refs: string[], opts: CompareOptions, ctx: CliContext): Promise<number> {
  const { io } = ctx;
  if (refs.length < 2 || refs.length > 4) {
    io.stderr(`error: compare takes 2 to 4 checkpoints or models, not ${refs.length}\n`);
    return 1;
  }
  const core = await createCore({ ...ctx.coreOptions, adoptQueued: false, diagnostics: ctx.coreOptions.diagnostics ?? ((line) => io.stderr(`snca: ${line}\n`)) });
  try {
    const sides: CompareSide[] = [];
    for (const ref of refs) {
      const side = await sideOf(core, ref);
      if (typeof side === 'string') {
        io.stderr(`error: ${side}; nothing was started\n`);
        return 1;
      }
      sides.push(side);
    }
    const input = {
      sides,
      ...(opts.k !== undefined ? { k: opts.k } : {}),
      ...(opts.sigma !== undefined ? { sigma: opts.sigma } : {}),
      recomputeMemory: opts.recomputeMemory === true,
      ...(opts.dataset ? { dataset: opts.dataset } : {}),
    };
    let result = await core.call('compare.checkpoints', input);
    const running = result.evaluations.filter((e) => e.status === 'running');
    if (running.length > 0) {
      const ids = new Set(running.map((e) => e.id));
      const stopProgress = core.bus.on('evaluation.progress', (p) => {
        if (ids.has(p.id) && p.done === p.total) io.stderr(`evaluation ${p.id}: ${p.total} ${p.phase} images embedded\n`);
      });
      let cancelled = false;
      const stopInterrupts = ctx.onInterrupt(() => {
        cancelled = true;
        io.stderr('\nCancelling the evaluations…\n');
        for (const id of ids) core.call('evaluations.cancel', { id }).catch(() => {});
      });
      try {
        io.stderr(`evaluating ${running.length} of ${sides.length} (stored evaluations are reused)…\n`);
        for (const e of running) await core.evaluations.whenDone(e.id);
      } finally {
        stopProgress();
        stopInterrupts();
      }
      if (cancelled) {
        io.stderr('the comparison was cancelled\n');
        return EXIT_CANCELLED;
      }
      result = await core.call('compare.checkpoints', input);
    }
    if (opts.json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    else io.stdout(describeComparison(result, refs));
    if (!result.ready) io.stderr(`error: ${result.problem ?? 'the comparison is not ready'}\n`);
    return result.ready ? 0 : 1;
  } finally {
    await core.close();
  }
}

/** One line per side (top-1, top-5), then McNemar's exact test per pair. */
export function describeComparison(r: CompareCheckpointsResult, refs: string[]): string {
  const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(2)}%`);
  const e0 = r.evaluations[0];
  const lines = e0 ? [`K ${e0.k}, sigma ${e0.sigma}, ${r.comparison?.samples ?? e0.samples ?? 0} val images`] : [];
  r.evaluations.forEach((e, i) => lines.push(`${LETTERS[i]} ${refs[i]}: top-1 ${pct(e.top1)}  top-5 ${pct(e.top5)}  (${e.status}${e.reused ? ', stored' : ''})`));
  for (const p of r.comparison?.pairs ?? []) {
    lines.push(`${LETTERS[p.a]} vs ${LETTERS[p.b]}: ${p.onlyA} only ${LETTERS[p.a]} right, ${p.onlyB} only ${LETTERS[p.b]} right, McNemar p = ${p.pValue.toPrecision(3)}${p.pValue < 0.05 ? ' (significant)' : ''}`);
  }
  if (r.comparison) lines.push(`${r.comparison.disagreementTotal} val images with differing predictions`);
  return `${lines.join('\n')}\n`;
}
