import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSafetensors, type NamedTensor } from '../../../../src-main/engine/checkpoint/safetensors.ts';
import { decodeSafetensors } from '../../../../src-main/engine/checkpoint/checkpoint-reader.ts';
import { writeFileAtomic, sha256Of } from '../../../../src-main/engine/checkpoint/atomic-file.ts';

function sample(): Map<string, NamedTensor> {
  return new Map<string, NamedTensor>([
    ['conv1.weight', { dtype: 'F32', shape: [2, 1, 3, 3], data: Float32Array.from({ length: 18 }, (_, i) => i / 7 - 1) }],
    ['bn1.num_batches_tracked', { dtype: 'I64', shape: [], data: BigInt64Array.from([42n]) }],
    ['labels', { dtype: 'I32', shape: [3], data: Int32Array.from([0, 2, 1]) }],
  ]);
}

test('safetensors round trip keeps names, shapes, dtypes, values and metadata', () => {
  const buf = Buffer.concat(encodeSafetensors(sample(), { epoch: '3' }));
  assert.equal(Number(buf.readBigUInt64LE(0)) % 8, 0, 'header padded to 8 bytes');
  const back = decodeSafetensors(buf, 'mem');
  assert.deepEqual(back.metadata, { epoch: '3' });
  assert.deepEqual([...back.tensors.keys()], ['conv1.weight', 'bn1.num_batches_tracked', 'labels']);
  assert.deepEqual(back.tensors.get('conv1.weight')!.data, sample().get('conv1.weight')!.data);
  assert.deepEqual(back.tensors.get('bn1.num_batches_tracked'), { dtype: 'I64', shape: [], data: BigInt64Array.from([42n]) });
});

test('encoding refuses data that does not fill its shape', () => {
  assert.throws(() => encodeSafetensors(new Map([['a', { dtype: 'F32', shape: [3], data: new Float32Array(2) }]])), /holds 3 values, data has 2/);
});

test('atomic writes replace the file whole and report its sha256', () => {
  const dir = mkdtempSync(join(tmpdir(), 'snca-atomic-'));
  try {
    const path = join(dir, 'a', 'ck.bin');
    const w = writeFileAtomic(path, [Buffer.from('hello '), Buffer.from('world')]);
    assert.equal(readFileSync(path, 'utf8'), 'hello world');
    assert.equal(w.sha256, sha256Of(Buffer.from('hello world')));
    assert.equal(w.bytes, 11);
    writeFileAtomic(path, [Buffer.from('second')]);
    assert.equal(readFileSync(path, 'utf8'), 'second');
    assert.deepEqual(readdirSync(join(dir, 'a')), ['ck.bin'], 'no temp files left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a write that fails halfway leaves the previous file intact and no temp file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'snca-atomic-'));
  try {
    const path = join(dir, 'ck.bin');
    writeFileSync(path, 'old');
    // A chunk the OS write rejects stands in for a disk error after some bytes went out.
    const failing = { length: 4 } as unknown as Uint8Array;
    assert.throws(() => writeFileAtomic(path, [Buffer.from('new data'), failing]));
    assert.equal(readFileSync(path, 'utf8'), 'old');
    assert.deepEqual(readdirSync(dir), ['ck.bin']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
