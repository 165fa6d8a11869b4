/**
 * `runs.submit`: one run or a sweep, on this machine or on a registered cluster. A sweep's
 * axes are expanded into one config per combination (shared/sweep.ts), each named after its
 * combination and tagged `sweep:<id>`; each config is validated before anything is stored.
 * Locally the runs go through RunsService.create (its dataset check and queue); on a cluster
 * they are submitted together, a sweep as one job array.
 */
import { ApiError } from '../../../shared/api-error.ts';
import type { MethodParsedInput, MethodOutput } from '../../../shared/api.ts';
import { RunConfigSchema, type RunConfig } from '../../../shared/run-config.ts';
import { describeCombination, expandSweep, SweepError, withConfigValue } from '../../../shared/sweep.ts';
import { safeParseWith } from '../../../shared/validation.ts';
import type { RunHousekeeping } from '../run-housekeeping.ts';
import type { RunIdGenerator } from '../run-id.ts';
import type { RunsService } from '../runs-service.ts';
import { sweepTag, type ClusterRunsService } from './cluster-runs-service.ts';

export interface RunSubmissionDeps {
  runs: Pick<RunsService, 'create'>;
  housekeeping: Pick<RunHousekeeping, 'update'>;
  clusterRuns: Pick<ClusterRunsService, 'submit'>;
  newId: RunIdGenerator;
}

export class RunSubmission {
  constructor(private readonly deps: RunSubmissionDeps) {}

  async submit(input: MethodParsedInput<'runs.submit'>): Promise<MethodOutput<'runs.submit'>> {
    const configs = this.expand(input.config, input.sweep);
    const sweep = input.sweep.length > 0 ? this.deps.newId() : null;
    if (input.cluster !== undefined) {
      const runs = await this.deps.clusterRuns.submit({
        cluster: input.cluster,
        configs,
        ...(input.resources ? { resources: input.resources } : {}),
        ...(input.autoResubmit !== undefined ? { autoResubmit: input.autoResubmit } : {}),
        ...(sweep ? { sweep } : {}),
      });
      return { sweep, runs };
    }
    if (input.resources) throw ApiError.invalidInput([{ path: 'resources', message: 'Slurm resources only apply to a run on a cluster' }]);
    if (input.autoResubmit !== undefined) throw ApiError.invalidInput([{ path: 'autoResubmit', message: 'automatic resubmission only applies to a run on a cluster' }]);
    const runs = [];
    for (const config of configs) {
      const created = await this.deps.runs.create(config);
      runs.push(sweep ? this.deps.housekeeping.update({ id: created.id, tags: [sweepTag(sweep)] }) : created);
    }
    return { sweep, runs };
  }

  private expand(base: RunConfig, axes: MethodParsedInput<'runs.submit'>['sweep']): RunConfig[] {
    if (axes.length === 0) return [base];
    let combos;
    try {
      combos = expandSweep(axes);
    } catch (err) {
      if (err instanceof SweepError) throw ApiError.invalidInput([{ path: 'sweep', message: err.message }]);
      throw err;
    }
    return combos.map((combo) => {
      let raw: Record<string, unknown> = { ...base, name: `${base.name} [${describeCombination(combo)}]`.slice(0, 120) };
      try {
        for (const [path, value] of combo) {
          if (!hasPath(base, path)) throw new SweepError(`--sweep ${path}: not a field of the run config`);
          raw = withConfigValue(raw, path, value);
        }
      } catch (err) {
        if (err instanceof SweepError) throw ApiError.invalidInput([{ path: 'sweep', message: err.message }]);
        throw err;
      }
      const parsed = safeParseWith(RunConfigSchema, raw, 'config');
      if (!parsed.ok) throw ApiError.invalidInput(parsed.issues, `run config of the sweep point ${describeCombination(combo)}`);
      return parsed.value;
    });
  }
}

function hasPath(config: object, path: string): boolean {
  let node: unknown = config;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.prototype.hasOwnProperty.call(node, part)) return false;
    node = (node as Record<string, unknown>)[part];
  }
  return true;
}
