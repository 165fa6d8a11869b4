/**
 * One SNCA training job: the reference recipe (NCA loss over a memory bank, momentum
 * memory update, SGD with Nesterov momentum and weight decay, step-decayed learning rate,
 * weighted kNN on the val split) driven epoch by epoch, reporting through hooks. Knows
 * nothing of SQLite, Electron or threads: the worker entry adapts it to messages.
 */
import * as tf from '@tensorflow/tfjs-core';
import { effectiveSigma, type RunConfig } from '../../../shared/run-config.ts';
import type { MetricKey, MetricPoint, Progress } from '../../../shared/domain.ts';
import { selectBackend, type BackendInfo, type BackendName } from '../backend.ts';
import type { Batch, Dataset } from '../data/dataset.ts';
import { createModel, type Model } from '../models/model.ts';
import { MemoryBank } from '../nca/memory-bank.ts';
import { ncaLoss } from '../nca/nca-loss.ts';
import { SGD } from '../optim/sgd.ts';
import { memoryMomentumAt, stepDecayLr } from '../optim/schedules.ts';
import { evaluateKnn, type KnnMetrics } from './knn-evaluation.ts';
import { checkpointKinds, writeCheckpoint, type WrittenCheckpoint } from './checkpoint-writer.ts';
import type { WrittenFile } from '../checkpoint/atomic-file.ts';
import { restoreTrainingState, type ResumeFrom } from './resume-state.ts';
import { openDataset } from '../data/open-dataset.ts';
import type { DatasetReaders } from '../data/dataset-readers.ts';
import { TrainingError } from './training-error.ts';
import { GradientAccumulator } from './gradient-accumulator.ts';
import { leanVariableGrads } from '../autodiff/lean-variable-grads.ts';

export type TrainProgress = Omit<Progress, 'runId'>;
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface TrainerHooks {
  started(info: BackendInfo): void;
  progress(p: TrainProgress): void;
  metrics(points: MetricPoint[]): void;
  log(level: LogLevel, message: string): void;
  checkpoint(c: WrittenCheckpoint): void;
  /** Polled once per iteration; true stops the run at the next iteration boundary. */
  cancelRequested(): boolean;
}

export interface TrainJobSpec {
  config: RunConfig;
  runDir: string;
  backend?: BackendName;
  /** Continue from this checkpoint of the same run (see resume-state.ts). */
  resumeFrom?: ResumeFrom;
  /** Checkpoint file writer; tests inject failing ones (default: atomic temp + fsync + rename). */
  writeFile?: (path: string, chunks: readonly Uint8Array[]) => WrittenFile;
  /** Readers of dataset formats the engine does not own (see dataset-readers.ts). */
  readers?: DatasetReaders;
}

const PROGRESS_INTERVAL_MS = 250;

/** Lets queued messages (cancel) reach the worker: wasm/cpu ops run synchronously. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function runTraining(job: TrainJobSpec, hooks: TrainerHooks): Promise<'completed' | 'cancelled'> {
  const { config } = job;
  const backend = await selectBackend(job.backend ? { prefer: job.backend } : {});
  hooks.started(backend);
  hooks.log('info', `Backend: ${backend.name} (${backend.device})`);
  hooks.progress({ phase: 'starting', epoch: 0, epochs: config.epochs, iteration: 0, iterations: 0, imagesPerSec: 0, etaSeconds: null });

  const dataset = await openDataset(config.dataset, { workers: config.workers, log: (m) => hooks.log('info', m), readers: job.readers });
  const train = dataset.train.split;
  hooks.log('info', `Dataset ${dataset.kind}: ${train.size} train / ${dataset.val.split.size} val samples, ${train.numClasses} classes`);

  const model = createModel(config.arch, { lowDim: config.lowDim, inputShape: [...train.imageShape], seed: config.seed });
  const bank = MemoryBank.initUniform(train.size, config.lowDim, train.labels, config.seed);
  const sgd = new SGD({
    lr: config.lr,
    momentum: config.momentum,
    dampening: 0,
    weightDecay: config.weightDecay,
    nesterov: config.nesterov,
  });
  try {
    let start: Start = { epoch: config.startEpoch, step: 0, best: -Infinity, trainedSeconds: 0 };
    if (job.resumeFrom) {
      const restored = restoreTrainingState(job.resumeFrom, { config, model, bank, sgd });
      start = restored;
      hooks.log('info', `Resumed from ${job.resumeFrom.path} (sha256 ${restored.sha256.slice(0, 12)}…): epoch ${restored.epoch}, step ${restored.step}` +
        (Number.isFinite(restored.best) ? `, best ${config.eval.monitor} ${restored.best}` : ''));
    }
    return await trainEpochs({ job, hooks, dataset, model, bank, sgd, start });
  } finally {
    model.dispose();
    bank.dispose();
    sgd.dispose();
    await dataset.close();
  }
}

interface Session {
  job: TrainJobSpec;
  hooks: TrainerHooks;
  dataset: Dataset;
  model: Model;
  bank: MemoryBank;
  sgd: SGD;
  start: Start;
}

/** Where the epoch loop starts: from scratch or from a restored checkpoint. */
interface Start {
  epoch: number;
  step: number;
  best: number;
  trainedSeconds: number;
}

async function trainEpochs(s: Session): Promise<'completed' | 'cancelled'> {
  const { model, sgd } = s;
  const accumulator = new GradientAccumulator(s.job.config.iterSize, (grads) => sgd.step(model.params, remapToParamNames(model, grads)));
  try {
    return await epochLoop(s, accumulator);
  } finally {
    accumulator.dispose();
  }
}

async function epochLoop(s: Session, accumulator: GradientAccumulator): Promise<'completed' | 'cancelled'> {
  const { config } = s.job;
  const { hooks, model, bank, sgd } = s;
  const trainLoader = s.dataset.train;
  const iterations = trainLoader.batchesPerEpoch({ batchSize: config.batchSize, dropLast: false });
  const totalIterations = iterations * config.epochs;
  const marginOverT = config.margin / config.temperature;
  const params = [...model.params.values()];
  const monitor = config.eval.monitor;
  let best = s.start.best;
  let globalStep = s.start.step;
  let trainedSeconds = s.start.trainedSeconds;
  const firstEpoch = s.start.epoch;
  let lastProgress = 0;

  for (let epoch = firstEpoch; epoch < config.epochs; epoch++) {
    const lr = stepDecayLr(config.lr, epoch, config.lrSchedule.stepEpochs, config.lrSchedule.gamma);
    sgd.setLr(lr);
    const memoryMomentum = memoryMomentumAt(epoch, config.memoryMomentumSchedule, config.memoryMomentum);
    // At the epoch's first step, so every row of an epoch has a step above the previous checkpoint's.
    hooks.metrics([{ key: 'lr', step: globalStep + 1, epoch, value: lr, wallTime: Date.now() }]);

    const epochStart = performance.now();
    let images = 0;
    let lossSum = 0;
    let iteration = 0;
    const points: MetricPoint[] = [];
    for await (const batch of trainLoader.epoch({ epoch, batchSize: config.batchSize, shuffle: true, dropLast: false, seed: config.seed })) {
      if (hooks.cancelRequested()) return 'cancelled';
      const lossValue = trainStep({
        batch,
        model,
        bank,
        params,
        config,
        marginOverT,
        memoryMomentum,
        step: (grads) => accumulator.add(grads, iteration, iterations),
      });
      const loss = (await lossValue.data())[0]!;
      lossValue.dispose();
      if (!Number.isFinite(loss)) {
        throw new TrainingError(`The loss became ${loss}; lower the learning rate or raise the temperature`, { epoch, iteration });
      }
      lossSum += loss;
      images += batch.labels.length;
      globalStep += 1;
      iteration += 1;
      points.push({ key: 'loss', step: globalStep, epoch: epoch + iteration / iterations, value: loss, wallTime: Date.now() });

      const now = performance.now();
      if (now - lastProgress >= PROGRESS_INTERVAL_MS || iteration === iterations) {
        lastProgress = now;
        hooks.metrics(points.splice(0));
        const elapsed = trainedSeconds + (now - epochStart) / 1000;
        const done = (epoch - firstEpoch) * iterations + iteration;
        const elapsedHere = elapsed - s.start.trainedSeconds;
        const perIteration = elapsedHere / done;
        hooks.progress({
          phase: 'train',
          epoch: epoch + 1,
          epochs: config.epochs,
          iteration,
          iterations,
          imagesPerSec: images / ((now - epochStart) / 1000),
          etaSeconds: perIteration * (totalIterations - firstEpoch * iterations - done),
        });
      }
      await yieldToEventLoop();
    }
    const epochSeconds = (performance.now() - epochStart) / 1000;
    trainedSeconds += epochSeconds;
    const epochMetrics: Partial<Record<MetricKey, number>> = {
      images_per_sec: images / epochSeconds,
      epoch_seconds: epochSeconds,
      train_loss: lossSum / Math.max(1, iteration),
    };
    hooks.log('info', `Epoch ${epoch + 1}/${config.epochs}: loss ${epochMetrics.train_loss!.toFixed(4)}, ${epochMetrics.images_per_sec!.toFixed(0)} img/s, ${epochSeconds.toFixed(1)} s`);

    const isLast = epoch + 1 === config.epochs;
    if (isLast || (epoch + 1) % config.eval.everyEpochs === 0) {
      if (hooks.cancelRequested()) return 'cancelled';
      hooks.progress({ phase: 'eval', epoch: epoch + 1, epochs: config.epochs, iteration, iterations, imagesPerSec: 0, etaSeconds: null });
      const knn = await evaluateKnn({
        model,
        bank,
        dataset: s.dataset,
        k: config.eval.k,
        sigma: effectiveSigma(config),
        recomputeMemory: config.eval.recomputeMemory,
        batchSize: Math.max(config.batchSize, 256),
        cancelRequested: hooks.cancelRequested,
      });
      if (knn === 'cancelled') return 'cancelled';
      Object.assign(epochMetrics, knnMetricRecord(knn));
      hooks.log('info', `Epoch ${epoch + 1}: kNN top-1 ${(knn.top1 * 100).toFixed(2)}%, top-5 ${(knn.top5 * 100).toFixed(2)}%, NN top-1 ${(knn.nnTop1 * 100).toFixed(2)}% (${knn.seconds.toFixed(1)} s)`);
    }
    const wallTime = Date.now();
    hooks.metrics(
      (Object.entries(epochMetrics) as [MetricKey, number][]).map(([key, value]) => ({ key, step: globalStep, epoch: epoch + 1, value, wallTime })),
    );

    hooks.progress({ phase: 'checkpoint', epoch: epoch + 1, epochs: config.epochs, iteration, iterations, imagesPerSec: 0, etaSeconds: null });
    const score = epochMetrics[monitor];
    const isBest = score !== undefined && score > best;
    if (isBest) best = score;
    const written = await writeCheckpoint({
      runDir: s.job.runDir,
      config,
      epoch: epoch + 1,
      step: globalStep,
      model,
      bank,
      sgd,
      metrics: epochMetrics,
      kinds: checkpointKinds(epoch + 1, isBest, config.checkpoint.keepEvery),
      ...(Number.isFinite(best) ? { best } : {}),
      trainedSeconds,
      ...(s.job.writeFile ? { writeFile: s.job.writeFile } : {}),
    });
    for (const c of written) hooks.checkpoint(c);
  }
  return 'completed';
}

export interface StepInput {
  batch: Batch;
  model: Model;
  bank: MemoryBank;
  params: tf.Variable[];
  config: Pick<RunConfig, 'temperature' | 'iterSize'>;
  marginOverT: number;
  memoryMomentum: number;
  /** Optional NCA chunk size (default: nca-loss.ts's); benches vary it. */
  chunkSize?: number;
  /** Receives the gradients keyed by tfjs variable name; they are disposed after it returns. */
  step: (grads: Map<string, tf.Tensor>) => void;
}

/**
 * Forward, NCA loss, backward, memory update and optimizer step for one batch. Returns the
 * (unscaled) loss as a scalar tensor the caller disposes. The optimizer runs outside any
 * tidy scope because it keeps its momentum buffers across steps.
 */
export function trainStep(s: StepInput): tf.Scalar {
  const { config } = s;
  const x = tf.tensor4d(s.batch.images, [...s.batch.shape]);
  const indexes = tf.tensor1d(s.batch.indexes, 'int32');
  let features: tf.Tensor2D | undefined;
  // leanVariableGrads: tf.variableGrads' results, freeing activations during the backward pass.
  const { value, grads } = leanVariableGrads(() => {
    const f = s.model.apply(x, true);
    features = tf.keep(f);
    const loss = ncaLoss(f, s.bank.memory, s.bank.labels, indexes, {
      temperature: config.temperature,
      marginOverT: s.marginOverT,
      ...(s.chunkSize !== undefined ? { chunkSize: s.chunkSize } : {}),
    });
    return config.iterSize > 1 ? tf.div(loss, config.iterSize) : loss;
  }, s.params);
  try {
    // The reference updates the memory in the backward pass, with the memory the loss saw.
    s.bank.update(features!, indexes, s.memoryMomentum);
    s.step(new Map(Object.entries(grads)));
    // Non-finite features (e.g. weights that diverged) count as a non-finite loss: the NCA
    // loss drops rows whose logits are NaN, so its value alone could stay finite.
    return tf.tidy(() => {
      const loss = config.iterSize > 1 ? tf.mul(value, config.iterSize) : value.clone();
      return tf.where(tf.all(tf.isFinite(features!)), loss, tf.scalar(NaN)) as tf.Scalar;
    });
  } finally {
    for (const g of Object.values(grads)) g.dispose();
    value.dispose();
    features?.dispose();
    x.dispose();
    indexes.dispose();
  }
}

function knnMetricRecord(k: KnnMetrics): Partial<Record<MetricKey, number>> {
  return { knn_top1: k.top1, knn_top5: k.top5, nn_top1: k.nnTop1 };
}

/** variableGrads keys gradients by tfjs variable name; the optimizer keys by PyTorch name. */
export function remapToParamNames(model: Model, byVarName: Map<string, tf.Tensor>): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [paramName, v] of model.params) {
    const g = byVarName.get(v.name);
    if (g) out.set(paramName, g);
  }
  return out;
}

