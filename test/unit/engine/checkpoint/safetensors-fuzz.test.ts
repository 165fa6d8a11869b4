/** Property-based fuzzing of the safetensors reader, in memory and from a file. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { CheckpointError, decodeSafetensors, readSafetensorsLayout } from '../../../../src-main/engine/checkpoint/checkpoint-reader.ts';
import { encodeSafetensors } from '../../../../src-main/engine/checkpoint/safetensors.ts';
import { bytesArb, fuzzReader } from '../../../fixtures/fuzz.ts';

const tmp = mkdtempSync(join(tmpdir(), 'snca-st-fuzz-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const seed = Buffer.concat(
  encodeSafetensors(
    new Map([
      ['memory_bank', { dtype: 'F32' as const, shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
      ['step', { dtype: 'I64' as const, shape: [1], data: BigInt64Array.from([7n]) }],
    ]),
    { format: 'pt' },
  ),
);

/** Valid framing around a random JSON header: reaches the schema and offset checks. */
const randomHeader = fc.jsonValue({ maxDepth: 3 }).map((v) => {
  const json = Buffer.from(JSON.stringify({ t: v }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Uint8Array.from(Buffer.concat([len, json, Buffer.alloc(16)]));
});

test('safetensors reader: random, mutated and random-header inputs end decoded or with a CheckpointError, each within 1 s', { timeout: 120_000 }, async () => {
  const file = join(tmp, 'fuzz.safetensors');
  const { inputs } = await fuzzReader({
    name: 'safetensors',
    arbitrary: fc.oneof(bytesArb([Uint8Array.from(seed)], 512), randomHeader),
    read: (data) => {
      decodeSafetensors(Buffer.from(data), 'fuzz.safetensors');
      writeFileSync(file, data);
      return readSafetensorsLayout(file);
    },
    isOwnError: (e) => e instanceof CheckpointError && (e.path === 'fuzz.safetensors' || e.path === file),
    numRuns: 10_000,
    timeLimitMs: 15_000,
  });
  assert.ok(inputs >= 1000, `${inputs} inputs`);
});
