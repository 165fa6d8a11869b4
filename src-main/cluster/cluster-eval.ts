/**
 * The headless evaluation a cluster node runs (`snca cluster-eval DIR`): the same weighted-kNN
 * evaluation of a checkpoint as a local evaluation worker, with the job the app wrote into
 * DIR/eval.json (the checkpoint's path on the shared filesystem and its recorded sha256, the
 * dataset, K, sigma). It writes its outcome into DIR/result.json (written whole, then renamed)
 * and the per-sample results into DIR/samples.psr; the app reads both back. No database is
 * opened on the node. SIGTERM (scancel, or the time limit) stops it at the next batch.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { BackendNameSchema } from '../../shared/domain.ts';
import { cifarPythonReader } from '../acquire/cifar-python.ts';
import { selectBackend } from '../engine/backend.ts';
import { provideThreadStarter } from '../engine/engine-threads.ts';
import { evaluateCheckpoint } from '../engine/eval/checkpoint-evaluation.ts';
import { EvaluateJobSchema, EvaluateResultSchema } from '../workers/evaluate-protocol.ts';
import { startWorkerEntryThread } from '../workers/worker-entry.ts';
import { readJobJson } from './cluster-job.ts';

export const CLUSTER_EVAL_FILE = 'eval.json';
export const CLUSTER_EVAL_RESULT_FILE = 'result.json';
export const CLUSTER_EVAL_SAMPLES_FILE = 'samples.psr';

/** What the app writes: an evaluation job whose per-sample file is DIR/samples.psr. */
export const ClusterEvalFileSchema = EvaluateJobSchema.omit({ samplesPath: true, model: true });
export type ClusterEvalFile = z.infer<typeof ClusterEvalFileSchema>;

/** What the node writes at the end. */
export const ClusterEvalOutcomeSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('result'), backend: BackendNameSchema, device: z.string(), result: EvaluateResultSchema }),
  z.object({ type: z.literal('cancelled') }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
export type ClusterEvalOutcome = z.infer<typeof ClusterEvalOutcomeSchema>;

export interface ClusterEvalOptions {
  stopRequested?: () => boolean;
  log?: (message: string) => void;
}

/** Runs the evaluation of DIR; resolves to the exit code (0 result or stopped, 1 failed). */
export async function runClusterEval(dir: string, options: ClusterEvalOptions = {}): Promise<number> {
  const job = readJobJson(join(dir, CLUSTER_EVAL_FILE), ClusterEvalFileSchema);
  provideThreadStarter(startWorkerEntryThread);
  const write = (outcome: ClusterEvalOutcome) => {
    const path = join(dir, CLUSTER_EVAL_RESULT_FILE);
    writeFileSync(`${path}.tmp`, JSON.stringify(outcome));
    renameSync(`${path}.tmp`, path);
  };
  const log = options.log ?? (() => {});
  try {
    const backend = await selectBackend(job.backend ? { prefer: job.backend } : {});
    log(`evaluating ${job.checkpointPath} on ${backend.name} (${backend.device})`);
    const result = await evaluateCheckpoint(
      { ...job, samplesPath: join(dir, CLUSTER_EVAL_SAMPLES_FILE), readers: { cifarPython: cifarPythonReader } },
      { log, cancelRequested: options.stopRequested ?? (() => false) },
    );
    write(result === 'cancelled' ? { type: 'cancelled' } : { type: 'result', backend: backend.name, device: backend.device, result });
    return 0;
  } catch (err) {
    write({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    return 1;
  }
}
