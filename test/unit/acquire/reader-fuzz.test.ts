/** Property-based fuzzing of the readers in acquire/: the unpickler, the tar reader and the CIFAR python reader. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { checkCifarPythonBatches } from '../../../src-main/acquire/cifar-python.ts';
import { PickleError, unpickle } from '../../../src-main/acquire/safe-unpickler.ts';
import { ArchiveError, extractTarGz } from '../../../src-main/acquire/tar-extract.ts';
import { DatasetError } from '../../../src-main/engine/data/data-errors.ts';
import { bytesArb, fuzzReader } from '../../fixtures/fuzz.ts';
import { tarEntry } from '../engine/data/cifar-fixtures.ts';
import { cifarPythonBatch } from './py2-pickle.ts';

const tmp = mkdtempSync(join(tmpdir(), 'snca-fuzz-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const fixture = (name: string): Uint8Array => readFileSync(new URL(`../../fixtures/data/${name}`, import.meta.url));
const PICKLES = ['arrays-np1-p2.pkl', 'arrays-np2-p5.pkl', 'cifar-batch-np1-p2.pkl', 'cifar-batch-np2-p4.pkl', 'cifar-batch-np2-p5.pkl'].map(fixture);

/** Short runs of opcodes with random argument bytes: reaches the opcode handlers more often than noise. */
const opcodeStream = fc
  .array(fc.tuple(fc.integer({ min: 0x20, max: 0x97 }), fc.uint8Array({ maxLength: 6 })), { maxLength: 60 })
  .map((ops) => Uint8Array.from([0x80, 0x04, ...ops.flatMap(([op, args]) => [op, ...args]), 0x2e]));

test('unpickler: random, mutated and opcode-stream inputs end with a value or a PickleError, each within 1 s', { timeout: 120_000 }, async () => {
  const { inputs } = await fuzzReader({
    name: 'unpickler',
    arbitrary: fc.oneof(bytesArb(PICKLES), opcodeStream),
    read: (data) => unpickle(data, { source: 'fuzz.pkl' }),
    isOwnError: (e) => e instanceof PickleError && e.source === 'fuzz.pkl' && Number.isInteger(e.offset),
    numRuns: 20_000,
    timeLimitMs: 20_000,
  });
  assert.ok(inputs >= 1000, `${inputs} inputs`);
});

test('CIFAR python reader: mutated batches end with a count or a DatasetError naming the file, each within 1 s', { timeout: 120_000 }, async () => {
  const planar = Uint8Array.from({ length: 2 * 3072 }, (_, i) => i % 251);
  const seeds = [cifarPythonBatch(planar, [3, 7], 'cifar10'), ...PICKLES.slice(2)];
  const file = join(tmp, 'data_batch_1');
  const { inputs } = await fuzzReader({
    name: 'cifar-python',
    arbitrary: bytesArb(seeds),
    read: async (data) => {
      writeFileSync(file, data);
      return checkCifarPythonBatches('cifar10', [file]);
    },
    isOwnError: (e) => e instanceof DatasetError && e.path === file,
    numRuns: 3000,
    timeLimitMs: 15_000,
  });
  assert.ok(inputs >= 200, `${inputs} inputs`);
});

test('tar reader: mutated archives end extracted or with an ArchiveError, each within 1 s', { timeout: 120_000 }, async () => {
  const tar = Buffer.concat([
    tarEntry('cifar-10-batches-py/', null),
    tarEntry('cifar-10-batches-py/data_batch_1', Buffer.from('abc')),
    tarEntry(`cifar-10-batches-py/${'long-'.repeat(30)}name`, Buffer.alloc(700, 1)),
    Buffer.alloc(1024),
  ]);
  const archive = join(tmp, 'fuzz.tar.gz');
  let n = 0;
  const { inputs } = await fuzzReader({
    name: 'tar',
    // Mutations of the tar stream itself (then gzipped), and of the gzip bytes.
    arbitrary: fc.oneof(bytesArb([tar], 2048).map((b) => ({ gz: false, b })), bytesArb([gzipSync(tar)], 256).map((b) => ({ gz: true, b }))),
    read: async ({ gz, b }) => {
      writeFileSync(archive, gz ? b : gzipSync(b));
      const dest = join(tmp, `x${n++}`);
      mkdirSync(dest);
      try {
        return await extractTarGz(archive, dest);
      } finally {
        rmSync(dest, { recursive: true, force: true });
      }
    },
    isOwnError: (e) => e instanceof ArchiveError && e.path === archive,
    numRuns: 2000,
    timeLimitMs: 20_000,
  });
  assert.ok(inputs >= 100, `${inputs} inputs`);
});
