import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  PER_SAMPLE_HEADER_BYTES,
  encodePerSampleResults,
  perSampleBytes,
  readPerSampleFile,
  writePerSampleFile,
  type PerSampleResults,
} from '../../../../src-main/engine/eval/per-sample-file.ts';
import { makeTempDir } from '../../../fixtures/temp-home.ts';

function sample(count = 7, k = 3, classes = 4, trainCount = 50): PerSampleResults {
  return {
    classes,
    trainCount,
    k,
    trueLabels: Int32Array.from({ length: count }, (_, i) => i % classes),
    predicted: Int32Array.from({ length: count }, (_, i) => (i * 3) % classes),
    neighbourIndexes: Uint32Array.from({ length: count * k }, (_, i) => (i * 7) % trainCount),
    neighbourSimilarities: Float32Array.from({ length: count * k }, (_, i) => 1 - i / 100),
    neighbourLabels: Int32Array.from({ length: count * k }, (_, i) => (i * 5) % classes),
  };
}

test('round trip: every field and array survives, file size is header + 8·count + 12·count·k', () => {
  const tmp = makeTempDir();
  try {
    const file = join(tmp.dir, 'e.bin');
    const r = sample();
    const written = writePerSampleFile(file, r);
    assert.equal(written.bytes, PER_SAMPLE_HEADER_BYTES + 7 * 8 + 7 * 3 * 12);
    assert.equal(written.bytes, perSampleBytes(7, 3));
    const back = readPerSampleFile(file);
    assert.equal(back.classes, 4);
    assert.equal(back.trainCount, 50);
    assert.equal(back.k, 3);
    assert.deepEqual([...back.trueLabels], [...r.trueLabels]);
    assert.deepEqual([...back.predicted], [...r.predicted]);
    assert.deepEqual([...back.neighbourIndexes], [...r.neighbourIndexes]);
    assert.deepEqual([...back.neighbourSimilarities], [...r.neighbourSimilarities]);
    assert.deepEqual([...back.neighbourLabels], [...r.neighbourLabels]);
    assert.equal(readFileSync(file).subarray(0, 8).toString('latin1'), 'SNCAPSR\0');
  } finally {
    tmp.cleanup();
  }
});

test('a truncated file is refused, naming the file and the offset where it ends', () => {
  const tmp = makeTempDir();
  try {
    const file = join(tmp.dir, 'cut.bin');
    writePerSampleFile(file, sample());
    const full = perSampleBytes(7, 3);
    truncateSync(file, full - 5);
    assert.throws(() => readPerSampleFile(file), (err: Error) => {
      assert.match(err.message, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.match(err.message, new RegExp(`offset ${full - 5}`));
      assert.match(err.message, /truncated: the neighbour labels needs bytes up to offset/);
      return true;
    });
    truncateSync(file, 10);
    assert.throws(() => readPerSampleFile(file), /byte offset 10: the file is truncated: the header/);
  } finally {
    tmp.cleanup();
  }
});

test('bad magic, version, bounds and out-of-range entries name their offsets', () => {
  const tmp = makeTempDir();
  try {
    const file = join(tmp.dir, 'bad.bin');
    const good = encodePerSampleResults(sample());
    const patch = (fn: (b: Buffer) => void) => {
      const b = Buffer.from(good);
      fn(b);
      writeFileSync(file, b);
    };
    patch((b) => b.write('NOTSNCA!', 0, 'latin1'));
    assert.throws(() => readPerSampleFile(file), /byte offset 0: not a per-sample results file/);
    patch((b) => b.writeUInt32LE(9, 8));
    assert.throws(() => readPerSampleFile(file), /byte offset 8: format version 9/);
    patch((b) => b.writeUInt32LE(5000, 16));
    assert.throws(() => readPerSampleFile(file), /byte offset 16: k = 5000/);
    patch((b) => b.writeUInt32LE(4_000_000, 12));
    assert.throws(() => readPerSampleFile(file), /truncated/);
    // Image 2's predicted label set to 9 (4 classes).
    patch((b) => b.writeInt32LE(9, PER_SAMPLE_HEADER_BYTES + 7 * 4 + 2 * 4));
    assert.throws(() => readPerSampleFile(file), new RegExp(`byte offset ${PER_SAMPLE_HEADER_BYTES + 36}: predicted label 9 of image 2`));
    patch((b) => b.writeUInt32LE(50, PER_SAMPLE_HEADER_BYTES + 7 * 8));
    assert.throws(() => readPerSampleFile(file), /neighbour index 50 is outside the bank of 50/);
    patch((b) => b.writeInt32LE(-1, good.length - 4));
    assert.throws(() => readPerSampleFile(file), new RegExp(`byte offset ${good.length - 4}: neighbour label -1`));
    writeFileSync(file, Buffer.concat([Buffer.from(good), Buffer.alloc(3)]));
    assert.throws(() => readPerSampleFile(file), new RegExp(`byte offset ${good.length}: 3 unexpected bytes`));
  } finally {
    tmp.cleanup();
  }
});

test('inconsistent arrays are refused when encoding', () => {
  const r = sample();
  assert.throws(() => encodePerSampleResults({ ...r, predicted: new Int32Array(3) }), /predicted has 3 labels for 7 images/);
  assert.throws(() => encodePerSampleResults({ ...r, k: 4 }), /count × k = 28/);
});
