/**
 * Bringing one PyTorch checkpoint of the reference into a staging folder: the file's sha256
 * (streamed, with progress), the network read and converted by the torch reader, its weights
 * written as safetensors with the reference's state_dict names, and the feature bank copied
 * as raw little-endian float32 straight from its byte range in the file, a chunk at a time
 * (a 655 MB bank is never held in memory). The caller owns the staging folder: it renames
 * it into place once the model is recorded, or deletes it when the import fails or is
 * cancelled, so nothing half-imported is ever visible.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ModelConfig } from '../../shared/models.ts';
import type { Arch } from '../../shared/run-config.ts';
import { writeFileAtomic } from '../engine/checkpoint/atomic-file.ts';
import { encodeSafetensors, type NamedTensor } from '../engine/checkpoint/safetensors.ts';
import type { StateDictInput } from '../engine/models/state-dict.ts';

/** Files an import leaves in its folder. */
export const MODEL_WEIGHTS_FILE = 'weights.safetensors';
export const MODEL_BANK_FILE = 'bank.f32';
/** `format` in the weights file's safetensors metadata. */
export const MODEL_WEIGHTS_FORMAT = 'snca-imported-model';

const CHUNK_BYTES = 8 * 1024 * 1024;

/** What the torch reader makes of a reference checkpoint. */
export interface TorchModel {
  arch: Arch;
  lowDim: number;
  width: number;
  layout: 'imagenet' | 'cifar' | 'state-dict';
  format: 'legacy' | 'zip';
  /** Reference names, `module.` stripped. */
  stateDict: ReadonlyMap<string, StateDictInput>;
  epoch: number | null;
  accuracy: number | null;
  temperature: number | null;
  momentum: number | null;
  /** The feature bank, left in the file; null when the file has none. */
  bank: TorchBank | null;
}

/**
 * Where the bank's rows × dim values are: a contiguous float32 little-endian byte range of the
 * file (copied as is, a chunk at a time, cancellable), or any other storage, which `convert`
 * writes to an open file as float32 (returning the bytes written).
 */
export type TorchBank = { rows: number; dim: number } & (
  | { kind: 'range'; byteOffset: number }
  | { kind: 'convert'; convert(fd: number, progress: (bytes: number) => void): number }
);

export type TorchModelReader = (path: string) => TorchModel | Promise<TorchModel>;

export type ImportPhase = 'hash' | 'read' | 'copy';

export interface ImportHooks {
  cancelRequested(): boolean;
  progress(phase: ImportPhase, bytes: number, totalBytes: number): void;
  /** The file's sha256, as soon as it is known (the caller refuses a file imported before). */
  hashed(sha256: string, bytes: number): void;
}

export interface ImportedModelFiles {
  sha256: string;
  fileBytes: number;
  fileName: string;
  arch: Arch;
  config: ModelConfig;
  layout: TorchModel['layout'];
  format: TorchModel['format'];
  epoch: number | null;
  accuracy: number | null;
  temperature: number | null;
  momentum: number | null;
  bankRows: number | null;
  bankDim: number | null;
  /** Bytes written to the staging folder. */
  storedBytes: number;
}

export class ModelImportError extends Error {
  override readonly name = 'ModelImportError';
}

/** Reads `path` into `stagingDir` (created); 'cancelled' when asked to stop between chunks. */
export async function importTorchModel(
  path: string,
  stagingDir: string,
  read: TorchModelReader,
  hooks: ImportHooks,
): Promise<ImportedModelFiles | 'cancelled'> {
  const info = await statFile(path);
  const fileBytes = info.size;
  const sha256 = await hashFile(path, fileBytes, hooks);
  if (sha256 === 'cancelled') return 'cancelled';
  hooks.hashed(sha256, fileBytes);

  hooks.progress('read', 0, fileBytes);
  const model = await read(path);
  if (hooks.cancelRequested()) return 'cancelled';
  mkdirSync(stagingDir, { recursive: true, mode: 0o700 });
  const weights = writeWeights(join(stagingDir, MODEL_WEIGHTS_FILE), model, sha256);

  let bankBytes = 0;
  const bank = model.bank;
  if (bank) {
    bankBytes = bank.rows * bank.dim * 4;
    const to = join(stagingDir, MODEL_BANK_FILE);
    if (bank.kind === 'range') {
      if (!Number.isSafeInteger(bankBytes) || bank.byteOffset < 0 || bank.byteOffset + bankBytes > fileBytes) {
        throw new ModelImportError(`${path}: the feature bank (${bank.rows} × ${bank.dim} float32 at byte ${bank.byteOffset}) runs past the end of the ${fileBytes}-byte file`);
      }
      if ((await copyRange(path, bank.byteOffset, bankBytes, to, hooks)) === 'cancelled') return 'cancelled';
    } else {
      const report = throttled((bytes) => hooks.progress('copy', bytes, bankBytes));
      const fd = openSync(to, 'wx', 0o600);
      try {
        const written = bank.convert(fd, (bytes) => report(bytes, false));
        if (written !== bankBytes) throw new ModelImportError(`${path}: the feature bank gave ${written} bytes, expected ${bankBytes} (${bank.rows} × ${bank.dim} float32)`);
        fsyncSync(fd);
        report(written, true);
      } finally {
        closeSync(fd);
      }
    }
  }
  return {
    sha256,
    fileBytes,
    fileName: basename(path),
    arch: model.arch,
    config: { lowDim: model.lowDim, width: model.width },
    layout: model.layout,
    format: model.format,
    epoch: model.epoch,
    accuracy: model.accuracy,
    temperature: model.temperature,
    momentum: model.momentum,
    bankRows: model.bank?.rows ?? null,
    bankDim: model.bank?.dim ?? null,
    storedBytes: weights + bankBytes,
  };
}

async function statFile(path: string): Promise<{ size: number }> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new ModelImportError(`${path}: not a file`);
    return s;
  } catch (err) {
    if (err instanceof ModelImportError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ModelImportError(`${path}: ${code === 'ENOENT' ? 'the file does not exist' : `cannot be read (${code ?? String(err)})`}`);
  }
}

/** Progress at most every 100 ms, and at the end. */
function throttled(report: (bytes: number) => void): (bytes: number, last: boolean) => void {
  let at = 0;
  return (bytes, last) => {
    const now = Date.now();
    if (last || now - at >= 100) {
      at = now;
      report(bytes);
    }
  };
}

async function hashFile(path: string, total: number, hooks: ImportHooks): Promise<string | 'cancelled'> {
  const hash = createHash('sha256');
  const fh = await open(path, 'r');
  const report = throttled((bytes) => hooks.progress('hash', bytes, total));
  try {
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    let done = 0;
    for (;;) {
      if (hooks.cancelRequested()) return 'cancelled';
      const { bytesRead } = await fh.read(buf, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      done += bytesRead;
      report(done, false);
    }
    report(done, true);
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

async function copyRange(path: string, offset: number, length: number, to: string, hooks: ImportHooks): Promise<void | 'cancelled'> {
  const src = await open(path, 'r');
  let dst: FileHandle | null = null;
  const report = throttled((bytes) => hooks.progress('copy', bytes, length));
  try {
    dst = await open(to, 'wx', 0o600);
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    let done = 0;
    while (done < length) {
      if (hooks.cancelRequested()) return 'cancelled';
      const want = Math.min(CHUNK_BYTES, length - done);
      const { bytesRead } = await src.read(buf, 0, want, offset + done);
      if (bytesRead === 0) throw new ModelImportError(`${path}: the file ended at byte ${offset + done}, inside the feature bank`);
      let written = 0;
      while (written < bytesRead) written += (await dst.write(buf, written, bytesRead - written)).bytesWritten;
      done += bytesRead;
      report(done, false);
    }
    report(done, true);
    await dst.sync();
  } finally {
    await src.close();
    await dst?.close();
  }
}

/** The converted state_dict as safetensors, with what rebuilds the network in its metadata; returns its size. */
function writeWeights(to: string, model: TorchModel, sourceSha256: string): number {
  const tensors = new Map<string, NamedTensor>();
  for (const [name, e] of model.stateDict) {
    const shape = [...e.shape];
    if (e.data instanceof BigInt64Array) tensors.set(name, { dtype: 'I64', shape, data: e.data });
    else tensors.set(name, { dtype: 'F32', shape, data: e.data });
  }
  const metadata = {
    format: MODEL_WEIGHTS_FORMAT,
    version: '1',
    arch: model.arch,
    config: JSON.stringify({ lowDim: model.lowDim, width: model.width }),
    source_sha256: sourceSha256,
  };
  return writeFileAtomic(to, encodeSafetensors(tensors, metadata)).bytes;
}
