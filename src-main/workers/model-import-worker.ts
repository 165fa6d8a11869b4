/**
 * worker_thread entry of a model import: hashes the PyTorch file, reads it with the safe
 * torch reader (nothing in it runs), writes the converted weights and the feature bank into
 * the staging folder and posts what it found (or the reader's error, naming the file and
 * offset). A cancel message stops it at the next chunk.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { describeIssues, issuesOf } from '../../shared/validation.ts';
import { readReferenceCheckpoint, type ReferenceCheckpoint } from '../acquire/reference-checkpoint.ts';
import { importTorchModel, type TorchBank, type TorchModel } from '../acquire/torch-model-import.ts';
import { copyTensorToFile, type TorchTensor } from '../acquire/torch-tensor.ts';
import { ToWorkerSchema } from './job-protocol.ts';
import { ModelImportJobSchema, type FromModelImportWorker } from './model-import-protocol.ts';

const port = parentPort;
if (!port) throw new Error('model-import-worker must run inside a worker_thread');
const post = (m: FromModelImportWorker) => port.postMessage(m);

/** The bank as a byte range when it is stored as contiguous float32, else converted by the reader. */
function bankOf(tensor: TorchTensor, rows: number, dim: number): TorchBank {
  if (tensor.dtype === 'float32' && tensor.contiguous) {
    return { kind: 'range', rows, dim, byteOffset: tensor.storage.byteOffset + tensor.storageOffset * 4 };
  }
  return { kind: 'convert', rows, dim, convert: (fd, progress) => copyTensorToFile(tensor, fd, (p) => progress(p.bytesDone)) };
}

/** The reference checkpoint reader's view of a file, as the import takes it. */
function readTorchModel(path: string): TorchModel {
  const ck: ReferenceCheckpoint = readReferenceCheckpoint(path);
  return {
    arch: ck.arch,
    lowDim: ck.modelConfig.lowDim,
    width: ck.modelConfig.width,
    layout: ck.layout,
    format: ck.format,
    stateDict: ck.weights,
    epoch: ck.epoch ?? null,
    accuracy: ck.bestPrec1 ?? null,
    temperature: ck.temperature ?? null,
    momentum: ck.momentum ?? null,
    bank: ck.bank ? bankOf(ck.bank.tensor, ck.bank.rows, ck.bank.dim) : null,
  };
}

let cancelled = false;
port.on('message', (raw: unknown) => {
  const msg = ToWorkerSchema.safeParse(raw);
  if (msg.success && msg.data.type === 'cancel') cancelled = true;
});

async function main(): Promise<void> {
  const parsed = ModelImportJobSchema.safeParse(workerData);
  if (!parsed.success) {
    post({ type: 'error', message: `Invalid model import job: ${describeIssues(issuesOf(parsed.error))}` });
    return;
  }
  const { path, stagingDir } = parsed.data;
  try {
    const files = await importTorchModel(path, stagingDir, readTorchModel, {
      cancelRequested: () => cancelled,
      progress: (phase, bytes, totalBytes) => post({ type: 'progress', phase, bytes, totalBytes }),
      hashed: (sha256, bytes) => post({ type: 'hashed', sha256, bytes }),
    });
    post(files === 'cancelled' ? { type: 'cancelled' } : { type: 'result', files });
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
}

await main();
port.unref();
