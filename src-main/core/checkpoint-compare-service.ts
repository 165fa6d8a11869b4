/**
 * `compare.checkpoints` and `compare.neighbours`: evaluates 2–4 checkpoints or imported
 * models on the same val split with the same K and sigma (stored evaluations are reused,
 * missing ones start as evaluation jobs through EvaluationsService, which owns how a model
 * is evaluated), and once all have completed, compares their per-sample results files.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ApiError } from '../../shared/api-error.ts';
import type { CompareCheckpointsResult, CompareSide, NeighbourPanel } from '../../shared/checkpoint-compare.ts';
import type { Evaluation } from '../../shared/domain.ts';
import { effectiveSigma, RunConfigSchema, type DatasetSpecInput } from '../../shared/run-config.ts';
import { readPerSampleFile, type PerSampleResults } from '../engine/eval/per-sample-file.ts';
import type { Store } from '../store/store.ts';
import { compareSamples, neighbourPanel, SampleMismatchError } from './checkpoint-comparison.ts';
import type { EvaluationRequest } from './evaluations-service.ts';
import { assertBankEvaluable, modelEvaluationDefaults } from './model-dataset.ts';

export interface CheckpointCompareDeps {
  store: Store;
  home: string;
  evaluate(req: EvaluationRequest): Promise<Evaluation>;
  /** The thumbnails id of the dataset compared on (its val images, and the train neighbours). */
  datasetIdOf(spec: DatasetSpecInput): string;
}

export interface CompareCheckpointsRequest {
  sides: CompareSide[];
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
    const sides = req.sides.map((side) => {
      if (side.kind === 'model') {
        const model = store.models.get(side.modelId);
        if (!model) throw ApiError.notFound(`Imported model ${side.modelId}`);
        return { side, model };
      }
      const checkpoint = store.checkpoints.get(side.id);
      if (!checkpoint) throw ApiError.notFound(`Checkpoint ${side.id}`);
      return { side, checkpoint };
    });
    // One val split, K and sigma for all: taken from the first checkpoint's run (else the first model) unless given.
    let sigma = req.sigma;
    let dataset = req.dataset;
    if (sigma === undefined || dataset === undefined) {
      const checkpoint = sides.find((s) => s.checkpoint)?.checkpoint;
      const defaults = checkpoint ? this.runDefaults(checkpoint.runId) : modelEvaluationDefaults(sides[0]!.model!, req);
      sigma ??= defaults.sigma;
      dataset ??= defaults.dataset;
    }
    // A side that cannot be evaluated on this dataset is refused before any evaluation starts.
    for (const { model } of sides) if (model) assertBankEvaluable(model, dataset);
    const datasetId = this.deps.datasetIdOf(dataset);
    const evaluations: Evaluation[] = [];
    for (const { side, model } of sides) {
      const target = side.kind === 'checkpoint' ? { checkpointId: side.id } : { model: model!.id };
      evaluations.push(await this.deps.evaluate({ ...target, k: req.k, sigma, recomputeMemory: req.recomputeMemory, dataset }));
    }
    const failed = evaluations.find((e) => e.status !== 'completed' && e.status !== 'running');
    if (failed) {
      const what = failed.modelId !== null ? `model ${sides.find((s) => s.model?.id === failed.modelId)?.model?.name ?? failed.modelId}` : `checkpoint ${failed.checkpointId}`;
      return { ready: false, datasetId, evaluations, comparison: null, problem: `The evaluation of ${what} ${failed.status}: ${failed.error ?? 'no message'}` };
    }
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

  /** The dataset and sigma of a checkpoint's run. */
  private runDefaults(runId: string): { sigma: number; dataset: DatasetSpecInput } {
    const json = this.deps.store.runs.configJson(runId);
    const config = json === undefined ? undefined : RunConfigSchema.safeParse(JSON.parse(json));
    if (!config?.success) throw new ApiError('conflict', `The config of run ${runId} cannot be read; give sigma and dataset explicitly.`);
    return { sigma: effectiveSigma(config.data), dataset: config.data.dataset };
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

