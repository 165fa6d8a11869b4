/** Property-based fuzzing of the CIFAR binary reader. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readCifarBinary } from '../../../../src-main/engine/data/cifar-binary.ts';
import { DatasetError } from '../../../../src-main/engine/data/data-errors.ts';
import { bytesArb, fuzzReader } from '../../../fixtures/fuzz.ts';

const tmp = mkdtempSync(join(tmpdir(), 'snca-cifar-bin-fuzz-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('CIFAR binary reader: mutated batches end read or with a DatasetError naming the file, each within 1 s', { timeout: 120_000 }, async () => {
  const record = 1 + 3072;
  const seed = Uint8Array.from({ length: 3 * record }, (_, i) => (i % record === 0 ? (i / record) % 10 : i % 253));
  const file = join(tmp, 'data_batch_1.bin');
  for (const kind of ['cifar10', 'cifar100'] as const) {
    const { inputs } = await fuzzReader({
      name: `cifar-binary ${kind}`,
      arbitrary: bytesArb([seed], 4 * record),
      read: async (data) => {
        writeFileSync(file, data);
        return readCifarBinary(kind, [file]);
      },
      isOwnError: (e) => e instanceof DatasetError && e.path === file,
      numRuns: 1500,
      timeLimitMs: 8000,
    });
    assert.ok(inputs >= 100, `${inputs} inputs`);
  }
});
