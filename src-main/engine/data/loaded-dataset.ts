/** A Dataset made of SplitLoaders sharing one executor (one worker pool per dataset). */
import type { Dataset } from './dataset.ts';
import type { BatchExecutor } from './loader-pool.ts';
import type { SplitLoader } from './split-loader.ts';

let nextPipelineId = 1;

/** Pipeline ids are process-unique so several datasets could share an executor. */
export function allocatePipelineId(): number {
  return nextPipelineId++;
}

export class LoadedDataset implements Dataset {
  private trainEvalLoader: SplitLoader | null = null;

  constructor(
    readonly kind: string,
    readonly train: SplitLoader,
    readonly val: SplitLoader,
    private readonly executor: BatchExecutor,
    /** Builds the train split's loader with the val transform (registered on the executor on first use). */
    private readonly makeTrainEval: () => SplitLoader,
  ) {}

  get trainEval(): SplitLoader {
    this.trainEvalLoader ??= this.makeTrainEval();
    return this.trainEvalLoader;
  }

  async close(): Promise<void> {
    await Promise.all([this.train.close(), this.val.close(), this.trainEvalLoader?.close()]);
    await this.executor.close();
  }
}
