/**
 * Cheap checks of a checkpoint file without loading its tensors: the sha256 streamed in
 * chunks (so the main process never holds a large memory bank), and the header's epoch and
 * step read from the safetensors JSON header alone. Used before a run is queued for resume;
 * the worker verifies the file again when it loads it (checkpoint-file.ts).
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { CHECKPOINT_FORMAT, CheckpointError } from './checkpoint-file.ts';

const CHUNK = 4 * 1024 * 1024;
const MAX_HEADER = 100 * 1024 * 1024;

export interface CheckpointSummary {
  path: string;
  sha256: string;
  epoch: number;
  step: number;
  /** The run config JSON stored in the header. */
  configJson: string;
}

function openOrFail(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CheckpointError(path, code === 'ENOENT' ? 'the checkpoint file does not exist' : `cannot be read (${code ?? String(err)})`);
  }
}

/** Streams the file's sha256; throws CheckpointError naming both hashes when it differs from `expected`. */
export function verifyCheckpointSha256(path: string, expected?: string): string {
  const fd = openOrFail(path);
  const hash = createHash('sha256');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  const sha256 = hash.digest('hex');
  if (expected && expected !== sha256) {
    throw new CheckpointError(path, `sha256 mismatch: recorded ${expected}, file has ${sha256}; the file is corrupt or was replaced`);
  }
  return sha256;
}

/** Verifies the sha256 (when given) and reads epoch, step and config from the header. */
export function inspectCheckpoint(path: string, expectedSha256?: string): CheckpointSummary {
  const sha256 = verifyCheckpointSha256(path, expectedSha256);
  const fd = openOrFail(path);
  let meta: Record<string, unknown>;
  try {
    const head = Buffer.alloc(8);
    if (readSync(fd, head, 0, 8, 0) !== 8) throw new CheckpointError(path, 'the file is truncated (no safetensors header)');
    const len = Number(head.readBigUInt64LE(0));
    if (len < 2 || len > MAX_HEADER) throw new CheckpointError(path, `implausible safetensors header length ${len}`);
    const json = Buffer.alloc(len);
    if (readSync(fd, json, 0, len, 8) !== len) throw new CheckpointError(path, 'the file is truncated inside its header');
    let parsed: unknown;
    try {
      parsed = JSON.parse(json.toString('utf8'));
    } catch {
      throw new CheckpointError(path, 'the safetensors header is not valid JSON');
    }
    meta = ((parsed as { __metadata__?: unknown }).__metadata__ ?? {}) as Record<string, unknown>;
  } finally {
    closeSync(fd);
  }
  if (meta.format !== CHECKPOINT_FORMAT) throw new CheckpointError(path, 'not an SNCA Studio checkpoint (no snca-checkpoint header)');
  const epoch = Number(meta.epoch);
  const step = Number(meta.step);
  if (!Number.isInteger(epoch) || epoch < 0 || !Number.isInteger(step) || step < 0 || typeof meta.config !== 'string') {
    throw new CheckpointError(path, 'the checkpoint header lacks a valid epoch, step or config');
  }
  return { path, sha256, epoch, step, configJson: meta.config };
}
