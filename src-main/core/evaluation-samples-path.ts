/** Where an evaluation's per-sample results file lives, relative to the data folder. */
import { join } from 'node:path';

/** runs/<run>/evaluations/<id>.psr, or evaluations/<id>.psr for a checkpoint outside any run. */
export function samplesRelativePath(runId: string | null, evaluationId: number): string {
  return runId ? join('runs', runId, 'evaluations', `${evaluationId}.psr`) : join('evaluations', `${evaluationId}.psr`);
}
