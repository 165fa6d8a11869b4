import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkVectorsCase,
  checkVectorsFile,
  formatVectorsReport,
  parseVectors,
  VectorsFormatError,
} from '../../../../src-main/engine/nca/vectors.ts';
import { PUBLIC_VECTORS, TEST_BACKENDS, useBackend } from '../use-backend.ts';

const raw = () => JSON.parse(readFileSync(PUBLIC_VECTORS, 'utf8')) as { cases: Record<string, unknown>[] } & Record<string, unknown>;

for (const backend of TEST_BACKENDS) {
  test(`every public case passes on ${backend}`, async () => {
    await useBackend(backend);
    const result = await checkVectorsFile(PUBLIC_VECTORS);
    assert.equal(result.backend, backend);
    assert.ok(result.cases.length >= 3);
    for (const c of result.cases) {
      const failed = c.checks.filter((k) => k.required && !k.pass);
      assert.deepEqual(failed, [], `${c.name} on ${backend}`);
      for (const q of ['loss', 'grad_x', 'memory_after', 'memory_untouched', 'dropped', 'knn_predictions', 'knn_top1_count', 'knn_top5_count', 'nn_predictions', 'nn_top1_count']) {
        assert.ok(c.checks.some((k) => k.quantity === q), `${c.name} checks ${q}`);
      }
    }
    assert.equal(result.pass, true);
    // Small chunks change nothing that matters.
    const chunked = await checkVectorsFile(PUBLIC_VECTORS, { chunkSize: 5 });
    assert.equal(chunked.pass, true, formatVectorsReport(chunked));
  });
}

test('a wrong expected value makes its case fail and the report say why', async () => {
  await useBackend('wasm');
  const file = raw();
  const c = structuredClone(file.cases[0]!) as Record<string, unknown> & { expected: Record<string, unknown> & { knn: { predictions: number[] } } };
  c.expected.loss = (c.expected.loss as number) * (1 + 1e-3);
  (c.expected.grad_x as number[])[3]! += 1e-3;
  c.expected.knn.predictions[0] = (c.expected.knn.predictions[0]! + 1) % (c.C as number);
  const parsed = parseVectors({ ...file, cases: [c] });
  const result = await checkVectorsCase(parsed.cases[0]!);
  assert.equal(result.pass, false);
  const failed = result.checks.filter((k) => !k.pass).map((k) => k.quantity).sort();
  assert.deepEqual(failed, ['grad_x', 'knn_predictions', 'loss']);
  const report = formatVectorsReport({ file: 'x.json', title: 't', backend: 'wasm', pass: false, cases: [result] });
  assert.match(report, /FAIL basic-b8-n64-d16-c4/);
  assert.match(report, /failed: loss abs [0-9.e+-]+ rel [0-9.e+-]+ \(needs rel ≤ 0\.00001\)/);
  assert.match(report, /failed: knn_predictions .*1 of 8 differ/);
  assert.match(report, /1 of 1 cases FAILED\./);
});

test('malformed files are refused with the offending field named', async () => {
  const file = raw();
  const bad = structuredClone(file);
  (bad.cases[1]!.x as number[]).pop();
  (bad.cases[0]!.expected as { memory_after: { rows: unknown } }).memory_after.rows = 'nope';
  assert.throws(() => parseVectors(bad, 'bad.json'), (e: unknown) => {
    assert.ok(e instanceof VectorsFormatError);
    assert.match(e.message, /^bad\.json is not a valid snca-vectors file:/);
    assert.match(e.message, /cases\[1\]\.x: expected 512 values \(B·D\), got 511/);
    assert.match(e.message, /cases\[0\]\.expected\.memory_after\.rows: /);
    return true;
  });
  assert.throws(() => parseVectors({ ...file, format: 'other' }), /format: /);
  const dup = structuredClone(file);
  (dup.cases[0]!.indexes as number[])[1] = (dup.cases[0]!.indexes as number[])[0]!;
  assert.throws(() => parseVectors(dup), /cases\[0\]\.indexes\[1\]: index \d+ is repeated/);
  // Any number of cases is a valid file.
  assert.equal(parseVectors({ ...file, cases: [] }).cases.length, 0);

  const dir = mkdtempSync(join(tmpdir(), 'snca-vectors-'));
  try {
    writeFileSync(join(dir, 'broken.json'), '{"format": ');
    await assert.rejects(checkVectorsFile(join(dir, 'broken.json')), /broken\.json is not a valid snca-vectors file:\n {2}not JSON/);
    await assert.rejects(checkVectorsFile(join(dir, 'missing.json')), /missing\.json is not a valid snca-vectors file:\n {2}cannot read the file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the report lists every case with its errors', async () => {
  await useBackend('cpu');
  const result = await checkVectorsFile(PUBLIC_VECTORS);
  const report = formatVectorsReport([result]);
  assert.match(report, /^snca-public\.json — .* \(backend cpu\)$/m);
  for (const c of result.cases) assert.match(report, new RegExp(`PASS ${c.name}: loss rel [0-9.e+-]+, grad abs [0-9.e+-]+, memory abs [0-9.e+-]+, kNN/NN exact`));
  assert.match(report, /All 3 cases passed\.$/);
});
