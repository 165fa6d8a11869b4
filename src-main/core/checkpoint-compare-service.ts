/**
 * `compare.checkpoints` and `compare.neighbours`: evaluates 2–4 checkpoints on the same val
 * split with the same K and sigma (stored evaluations are reused, missing ones start as
 * evaluation jobs through EvaluationsService), and once all have completed, compares
 * their per-sample results files.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ApiError } from '../../shared/api-error.ts';
import type { CompareCheckpointsResult, NeighbourPanel } from '../../shared/checkpoint-compare.ts';
import type { Evaluation } from '../../shared/domain.ts';
import { effectiveSigma, RunConfigSchema, type DatasetSpecInput } from '../../shared/run-config.ts';
import { readPerSampleFile, type PerSampleResults } from '../engine/eval/per-sample-file.ts';
import type { Store } from '../store/store.ts';
import { compareSamples, neighbourPanel, SampleMismatchError } from './checkpoint-comparison.ts';
import type { EvaluationRequest } from './evaluations-service.ts';

export interface CheckpointCompareDeps {
  store: Store;
  home: string;
  evaluate(req: EvaluationRequest): Promise<Evaluation>;
  /** The thumbnails id of the dataset compared on (its val images, and the train neighbours). */
  datasetIdOf(spec: DatasetSpecInput): string;
}

export interface CompareCheckpointsRequest {
  checkpointIds: number[];
  k: number;
  sigma?: number | undefined;
  recomputeMemory: boolean;
  dataset?: DatasetSpecInput | undefined;
}

/** Files kept parsed (a comparison reads 2–4; the neighbour panel re-reads them per click). */
const CACHE_SIZE = 8;

export class CheckpointCompareService {
  private readonly cache = new Map<string, PerSampleResults>();

  constructor(private readonly deps: CheckpointCompareDeps) {}

  async compare(req: CompareCheckpointsRequest): Promise<CompareCheckpointsResult> {
    const { store } = this.deps;
    const checkpoints = req.checkpointIds.map((id) => {
      const c = store.checkpoints.get(id);
      if (!c) throw ApiError.notFound(`Checkpoint ${id}`);
      return c;
    });
    // One val split, K and sigma for all: taken from the first checkpoint's run unless given.
    let sigma = req.sigma;
    let dataset = req.dataset;
    if (sigma === undefined || dataset === undefined) {
      const json = store.runs.configJson(checkpoints[0]!.runId);
      const config = json === undefined ? undefined : RunConfigSchema.safeParse(JSON.parse(json));
      if (!config?.success) throw new ApiError('conflict', `The config of run ${checkpoints[0]!.runId} cannot be read; give sigma and dataset explicitly.`);
      sigma ??= effectiveSigma(config.data);
      dataset ??= config.data.dataset;
    }
    const datasetId = this.deps.datasetIdOf(dataset);
    const evaluations: Evaluation[] = [];
    for (const c of checkpoints) {
      evaluations.push(await this.deps.evaluate({ checkpointId: c.id, k: req.k, sigma, recomputeMemory: req.recomputeMemory, dataset }));
    }
    const failed = evaluations.find((e) => e.status !== 'completed' && e.status !== 'running');
    if (failed) return { ready: false, datasetId, evaluations, comparison: null, problem: `The evaluation of checkpoint ${failed.checkpointId} ${failed.status}: ${failed.error ?? 'no message'}` };
    if (evaluations.some((e) => e.status === 'running')) return { ready: false, datasetId, evaluations, comparison: null, problem: null };
    const results: PerSampleResults[] = [];
    for (const e of evaluations) {
      const r = this.samplesOf(e.id);
      if (!r) return { ready: false, datasetId, evaluations, comparison: null, problem: `Evaluation ${e.id} was stored without per-sample results; delete it and evaluate again.` };
      results.push(r);
    }
    const classNames = evaluations[0]!.perClass?.map((c) => c.name) ?? [];
    try {
      return { ready: true, datasetId, evaluations, comparison: compareSamples(results, classNames), problem: null };
    } catch (err) {
      if (err instanceof SampleMismatchError) return { ready: false, datasetId, evaluations, comparison: null, problem: err.message };
      throw err;
    }
  }

  neighbours(evaluationIds: number[], index: number): NeighbourPanel[] {
    return evaluationIds.map((id) => {
      const r = this.samplesOf(id);
      if (!r) throw ApiError.notFound(`Per-sample results of evaluation ${id}`);
      if (index >= r.trueLabels.length) throw ApiError.invalidInput([{ path: 'index', message: `image ${index} is outside the ${r.trueLabels.length} val images` }]);
      return neighbourPanel(id, r, index);
    });
  }

  /** The parsed per-sample file of an evaluation, or undefined when it has none. */
  private samplesOf(evaluationId: number): PerSampleResults | undefined {
    const rel = this.deps.store.evaluations.samplesPath(evaluationId);
    if (!rel) return undefined;
    const home = resolve(this.deps.home);
    const file = resolve(home, rel);
    // A stored path never leads outside the data folder.
    if (isAbsolute(rel) || !file.startsWith(home + sep) || relative(home, file).startsWith('..')) {
      throw new ApiError('internal', `Evaluation ${evaluationId} has a per-sample path outside the data folder`);
    }
    const hit = this.cache.get(file);
    if (hit) return hit;
    const r = readPerSampleFile(file);
    this.cache.set(file, r);
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    return r;
  }
}
