/**
 * `snca eval RUN_OR_CHECKPOINT_OR_MODEL [--k 30] [--sigma X] [--recompute-memory] [--on CLUSTER]`:
 * weighted-kNN evaluation of a run's best (else latest) checkpoint, an imported model (by
 * name or id: its weights and bank, labelled by its train folder), a checkpoint id or a
 * checkpoint file, on its dataset's val split — here, or with --on as a Slurm job on the
 * cluster whose run wrote the checkpoint (the command waits for it). Prints top-1 / top-5; a
 * stored result is reused; the images embedded so far show on stderr. Exit code 0 when it completed, 1 when it failed, 130 when cancelled
 * with Ctrl-C (a second Ctrl-C stops at once).
 */
import { existsSync } from 'node:fs';
import type { BackendName, Evaluation } from '../../shared/domain.ts';
import type { DatasetSpecInput } from '../../shared/run-config.ts';
import { createCore, type Core } from '../core/core.ts';
import type { CliContext } from './cli-context.ts';
import { EXIT_CANCELLED } from './run-follow.ts';
import { slurmFlagsWithoutCluster, slurmOverrides, type SlurmFlags } from './slurm-flags.ts';

/** The flags of `snca eval`; with --on CLUSTER [--partition --gpus --time] it runs as a Slurm job there. */
export interface EvalOptions extends SlurmFlags {
  k?: number;
  sigma?: number;
  recomputeMemory?: boolean;
  json?: boolean;
  /** Evaluate on this dataset instead of the one the checkpoint was trained on (`snca train DATAPATH -e`). */
  dataset?: DatasetSpecInput;
  /** Force a compute backend (`snca train --backend … -e`). */
  backend?: BackendName;
}

export async function evalCommand(target: string, opts: EvalOptions, ctx: CliContext): Promise<number> {
  if (slurmFlagsWithoutCluster(opts)) {
    ctx.io.stderr('error: --partition, --gpus and --time are Slurm resources: they go with --on CLUSTER; nothing was started\n');
    return 1;
  }
  const core = await createCore({
    ...ctx.coreOptions,
    adoptQueued: false,
    ...(opts.backend ? { backend: opts.backend } : {}),
    diagnostics: ctx.coreOptions.diagnostics ?? ((line) => ctx.io.stderr(`snca: ${line}\n`)),
  });
  try {
    const located = await core.call('runs.locate', { ref: target });
    const isRun = located !== null && located.checkpointId === null;
    const model = isRun ? undefined : (await core.call('models.list', {})).find((m) => m.name === target || m.id === target);
    const isId = /^\d+$/.test(target) && !existsSync(target);
    const started = await core.call('evaluations.create', {
      ...(isRun ? { runId: target } : model ? { model: model.id } : isId ? { checkpointId: Number(target) } : { path: target }),
      ...(opts.k !== undefined ? { k: opts.k } : {}),
      ...(opts.sigma !== undefined ? { sigma: opts.sigma } : {}),
      recomputeMemory: opts.recomputeMemory === true,
      ...(opts.dataset !== undefined ? { dataset: opts.dataset } : {}),
      ...(opts.on !== undefined ? { cluster: opts.on, resources: slurmOverrides(opts) } : {}),
    });
    if (opts.on !== undefined && started.status === 'running') ctx.io.stderr(`evaluation ${started.id} submitted to cluster ${opts.on}; waiting for its job…\n`);
    const { evaluation: e, stopped } = started.status === 'running' ? await waitCancellable(core, started.id, ctx) : { evaluation: started, stopped: false };
    if (e.status === 'cancelled' || (stopped && e.status !== 'completed')) {
      ctx.io.stderr(`the evaluation was ${e.status === 'cancelled' ? 'cancelled' : 'stopped'}\n`);
      return EXIT_CANCELLED;
    }
    if (e.status !== 'completed') {
      ctx.io.stderr(`error: the evaluation failed: ${e.error ?? 'unknown error'}\n`);
      return 1;
    }
    if (opts.json) {
      ctx.io.stdout(`${JSON.stringify(e, null, 2)}\n`);
      return 0;
    }
    const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(2)}%`);
    ctx.io.stdout(
      `${model ? `model ${model.name} (${model.arch}, ${model.fileName})` : `checkpoint ${e.checkpointPath}`}${e.checkpointEpoch !== null ? ` (epoch ${e.checkpointEpoch})` : ''}\n` +
        `K ${e.k}, sigma ${e.sigma}, ${e.recomputeMemory ? 'recomputed train features' : model ? 'imported bank' : 'memory bank'}, ${e.samples ?? 0} val samples` +
        `${started.reused ? ' (stored result reused)' : ''}\n` +
        `top-1 ${pct(e.top1)}\ntop-5 ${pct(e.top5)}\n`,
    );
    return 0;
  } finally {
    await core.close();
  }
}

/**
 * Waits for the evaluation to end; the first Ctrl-C cancels it, a second one closes the core
 * at once (`stopped`).
 */
async function waitCancellable(core: Core, id: number, ctx: CliContext): Promise<{ evaluation: Evaluation; stopped: boolean }> {
  let interrupts = 0;
  const stopInterrupts = ctx.onInterrupt(() => {
    interrupts += 1;
    if (interrupts === 1) {
      ctx.io.stderr('\nCancelling the evaluation… (press Ctrl-C again to stop at once)\n');
      core.call('evaluations.cancel', { id }).catch(() => {
        // Refused only when it ended in the meantime.
      });
    } else {
      ctx.io.stderr('Stopping now.\n');
      void core.close();
    }
  });
  // Progress on stderr: a live line on a terminal, else one line as each split starts.
  let phase: string | null = null;
  const stopProgress = core.bus.on('evaluation.progress', (p) => {
    if (p.id !== id) return;
    const line = `embedding ${p.phase} images ${p.done}/${p.total}`;
    if (ctx.io.isTTY) ctx.io.stderr(`\r\x1b[2K${line}`);
    else if (p.phase !== phase) ctx.io.stderr(`embedding ${p.total} ${p.phase} images…\n`);
    phase = p.phase;
  });
  try {
    const evaluation = await core.evaluations.whenDone(id);
    if (ctx.io.isTTY && phase !== null) ctx.io.stderr('\r\x1b[2K');
    return { evaluation, stopped: interrupts > 1 };
  } finally {
    stopProgress();
    stopInterrupts();
  }
}

/** `snca runs export ID --format csv|json [--out FILE]`. */
export async function runsExportCommand(id: string, opts: { format: 'csv' | 'json'; out?: string }, ctx: CliContext): Promise<number> {
  const core = await createCore({
    ...ctx.coreOptions,
    adoptQueued: false,
    diagnostics: ctx.coreOptions.diagnostics ?? ((line) => ctx.io.stderr(`snca: ${line}\n`)),
  });
  try {
    const out = await core.call('runs.export', { id, format: opts.format });
    if (opts.out) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(opts.out, out.content);
      ctx.io.stderr(`wrote ${opts.out}\n`);
    } else {
      ctx.io.stdout(out.content);
    }
    return 0;
  } finally {
    await core.close();
  }
}
