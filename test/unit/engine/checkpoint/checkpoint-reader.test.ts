/**
 * The one checkpoint reader: bounded header reads that name the file and byte offset of
 * every problem, the streamed sha256, and the SNCA header read without the tensors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINT_FORMAT } from '../../../../src-main/engine/checkpoint/checkpoint-format.ts';
import {
  CheckpointError,
  decodeSafetensors,
  fileSha256,
  MAX_HEADER_BYTES,
  readCheckpoint,
  readCheckpointHeader,
  readSafetensorsLayout,
} from '../../../../src-main/engine/checkpoint/checkpoint-reader.ts';
import { encodeSafetensors } from '../../../../src-main/engine/checkpoint/safetensors.ts';
import { writeFileAtomic } from '../../../../src-main/engine/checkpoint/atomic-file.ts';
import { demoConfig } from '../../../fixtures/run-records.ts';
import { makeTempDir } from '../../../fixtures/temp-home.ts';

const config = demoConfig({ epochs: 3 });

function checkpointBytes(): Buffer {
  return Buffer.concat(encodeSafetensors(new Map([['memory_bank', { dtype: 'F32' as const, shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }]]), {
    format: CHECKPOINT_FORMAT, version: '1', arch: config.arch, epoch: '2', step: '14', config: JSON.stringify(config), metrics: '{"knn_top1":0.5}', rng: 'r',
  }));
}

/** Asserts that `fn` throws a CheckpointError naming `path` and `offset`, with a message matching `problem`. */
function refuses(fn: () => unknown, path: string, offset: number, problem: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof CheckpointError, String(err));
    assert.equal(err.path, path);
    assert.equal(err.offset, offset);
    assert.ok(err.message.startsWith(`${path}: `), err.message);
    assert.ok(err.message.endsWith(`(at byte ${offset})`), err.message);
    assert.match(err.message, problem);
    return true;
  });
}

test('truncated and oversized headers are refused naming the file and the offset, from a file and from memory', () => {
  const tmp = makeTempDir('snca-reader-');
  try {
    const good = checkpointBytes();
    const headerLen = Number(good.readBigUInt64LE(0));
    const write = (name: string, bytes: Buffer) => {
      const path = join(tmp.dir, name);
      writeFileSync(path, bytes);
      return path;
    };

    const short = write('short.safetensors', good.subarray(0, 5));
    for (const read of [readSafetensorsLayout, readCheckpointHeader, (p: string) => readCheckpoint(p)]) {
      refuses(() => read(short), short, 0, /the file is 5 bytes, too short/);
    }

    // A stated length past the limit is refused before anything that size is allocated.
    const huge = Buffer.from(good);
    huge.writeBigUInt64LE(BigInt(MAX_HEADER_BYTES) + 1n, 0);
    const oversized = write('oversized.safetensors', huge);
    refuses(() => readSafetensorsLayout(oversized), oversized, 0, new RegExp(`header length ${MAX_HEADER_BYTES + 1} is outside 2\\.\\.${MAX_HEADER_BYTES}`));
    huge.writeBigUInt64LE(2n ** 63n, 0);
    refuses(() => decodeSafetensors(huge, 'mem.safetensors'), 'mem.safetensors', 0, /header length 9223372036854775808 is outside/);

    const cut = write('cut-header.safetensors', good.subarray(0, 8 + headerLen - 10));
    refuses(() => readCheckpointHeader(cut), cut, 8, new RegExp(`the ${headerLen}-byte header runs past the end of the ${headerLen - 2}-byte file; truncated\\?`));
    refuses(() => readCheckpoint(cut), cut, 8, /runs past the end/);

    // Header whole, tensor data cut: the offset is where the tensor's bytes start.
    const cutData = write('cut-data.safetensors', good.subarray(0, good.length - 4));
    refuses(() => readCheckpoint(cutData), cutData, 8 + headerLen, /tensor memory_bank: data offsets \[0, 24\) do not match shape \[2, 3\] F32 within 20 data bytes/);
    refuses(() => readSafetensorsLayout(cutData), cutData, 8 + headerLen, /tensor memory_bank/);

    const garbled = Buffer.from(good);
    garbled.write('!', 8);
    const notJson = write('not-json.safetensors', garbled);
    refuses(() => readCheckpointHeader(notJson), notJson, 8, /the safetensors header is not valid JSON/);
  } finally {
    tmp.cleanup();
  }
});

test('the header is read without the tensors; the sha256 is streamed and a mismatch names both hashes', () => {
  const tmp = makeTempDir('snca-reader-');
  try {
    const written = writeFileAtomic(join(tmp.dir, 'latest.safetensors'), [checkpointBytes()]);
    const header = readCheckpointHeader(written.path);
    assert.equal(header.epoch, 2);
    assert.equal(header.step, 14);
    assert.deepEqual(header.config, config);
    assert.deepEqual(header.metrics, { knn_top1: 0.5 });
    assert.deepEqual(header.extra, { rng: 'r' });
    assert.equal(fileSha256(written.path), written.sha256);
    assert.equal(fileSha256(written.path, written.sha256), written.sha256);
    const other = '0'.repeat(64);
    assert.throws(() => fileSha256(written.path, other), (e: unknown) => e instanceof CheckpointError && e.message === `${written.path}: sha256 mismatch: recorded ${other}, file has ${written.sha256}; the file is corrupt or was replaced`);
    assert.throws(() => readCheckpoint(written.path, { expectedSha256: other }), (e: unknown) => e instanceof CheckpointError && e.message.includes(`file has ${written.sha256}`));
    const loaded = readCheckpoint(written.path, { expectedSha256: written.sha256 });
    assert.deepEqual([...loaded.tensors.get('memory_bank')!.data], [1, 2, 3, 4, 5, 6]);

    const foreign = writeFileAtomic(join(tmp.dir, 'foreign.safetensors'), encodeSafetensors(new Map(), { format: 'pt' }));
    refuses(() => readCheckpointHeader(foreign.path), foreign.path, 8, /not an SNCA Studio checkpoint header: format/);
    assert.throws(() => fileSha256(join(tmp.dir, 'missing')), /missing: the checkpoint file does not exist$/);
  } finally {
    tmp.cleanup();
  }
});
