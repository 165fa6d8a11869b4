/**
 * Loader worker thread: decodes and augments whole batches for the loader pool
 * (src-main/engine/data/loader-pool.ts). Tasks run one after another in arrival order;
 * the pool keeps at most a couple queued here so the thread never waits for the next one.
 */
import { parentPort } from 'node:worker_threads';
import { processBatch } from '../engine/data/batch-processor.ts';
import type { FromWorker, PipelineSpec, ToWorker } from '../engine/data/loader-protocol.ts';

const port = parentPort;
if (!port) throw new Error('data-loader-worker must run as a worker thread');

const pipelines = new Map<number, PipelineSpec>();
let chain: Promise<void> = Promise.resolve();

function send(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(msg, transfer);
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'pipeline') {
    pipelines.set(msg.pipeline.id, msg.pipeline);
    return;
  }
  const task = msg.task;
  chain = chain.then(async () => {
    const pipeline = pipelines.get(task.pipelineId);
    try {
      if (!pipeline) throw new Error(`unknown pipeline ${task.pipelineId}`);
      const output = await processBatch(pipeline, task);
      send({ type: 'result', output }, [output.images.buffer as ArrayBuffer, output.kept.buffer as ArrayBuffer]);
    } catch (e) {
      send({ type: 'error', taskId: task.taskId, message: e instanceof Error ? e.message : String(e) });
    }
  });
});
