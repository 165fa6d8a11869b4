/** Where an evaluation's per-sample results file lives, relative to the data folder. */
import { join } from 'node:path';

/**
 * runs/<run>/evaluations/<id>.psr; models/<model>/evaluations/<id>.psr for an imported model
 * (removed with it); evaluations/<id>.psr for a checkpoint outside any run.
 */
export function samplesRelativePath(runId: string | null, evaluationId: number, modelId?: string | null): string {
  if (runId) return join('runs', runId, 'evaluations', `${evaluationId}.psr`);
  if (modelId) return join('models', modelId, 'evaluations', `${evaluationId}.psr`);
  return join('evaluations', `${evaluationId}.psr`);
}
