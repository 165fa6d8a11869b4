import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BankScanKernel, PARAM_BYTES } from '../../../../src-main/engine/eval/bank-scan-kernel.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

interface Entry {
  query: number;
  row: number;
  lower: number;
  upper: number;
}

function entries(kernel: BankScanKernel, n: number): Entry[] {
  const { ints, floats } = kernel.outViews(n);
  return Array.from({ length: n }, (_, e) => ({ query: ints[4 * e]!, row: ints[4 * e + 1]!, lower: floats[4 * e + 2]!, upper: floats[4 * e + 3]! }));
}

test('the committed kernel bytes are bank-scan-kernel.wat assembled', () => {
  const r = spawnSync(process.execPath, ['scripts/build-bank-scan-kernel.mjs', '--check'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /up to date/);
});

test('kernel: int8 × int16 products are exact for every row (padded to 4) and query, at several widths', () => {
  for (const [rows, dim] of [[1, 3], [7, 16], [13, 48], [9, 784]] as const) {
    const stride = Math.ceil(dim / 16) * 16;
    const nq = 3;
    const kernel = new BankScanKernel({ rows, stride, maxQueries: 4, outCapacity: 1024 });
    const rnd = lcg(rows * 1000 + dim);
    const { codes, scale, res, norm } = kernel.bankViews();
    const { qcodes, params } = kernel.queryViews();
    for (let r = 0; r < rows; r++) {
      // Extremes included: ±127 everywhere in row 0.
      for (let d = 0; d < dim; d++) codes[r * stride + d] = r === 0 ? (d % 2 ? 127 : -127) : Math.floor(rnd() * 255) - 127;
      scale[r] = 1;
      res[r] = 0;
      norm[r] = 0;
    }
    for (let q = 0; q < nq; q++) {
      for (let d = 0; d < dim; d++) qcodes[q * stride + d] = q === 0 ? -127 : Math.floor(rnd() * 255) - 127;
      params.set([1, 0, 0, 0, -Infinity], (q * PARAM_BYTES) / 4);
    }
    const got = entries(kernel, kernel.scan(0, kernel.paddedRows, nq));
    const want: Entry[] = [];
    for (let q = 0; q < nq; q++) {
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let d = 0; d < dim; d++) s += codes[r * stride + d]! * qcodes[q * stride + d]!;
        want.push({ query: q, row: r, lower: s, upper: s });
      }
    }
    assert.deepEqual(got, want, `${rows} rows of ${dim}`);
    kernel.dispose();
    assert.throws(() => kernel.scan(0, 4, 1), /disposed/);
  }
});

test('kernel: intervals A ± (alpha·res + beta·norm + gamma), only upper ends reaching the threshold written, NaN never', () => {
  const rows = 10;
  const stride = 16;
  const kernel = new BankScanKernel({ rows, stride, maxQueries: 2, outCapacity: 64 });
  const { codes, scale, res, norm } = kernel.bankViews();
  const { qcodes, params } = kernel.queryViews();
  for (let r = 0; r < rows; r++) {
    codes[r * stride] = r - 5; // product with query code 2: 2(r − 5)
    scale[r] = 0.5;
    res[r] = 0.25 * r;
    norm[r] = 1;
  }
  res[3] = NaN; // an irregular row
  qcodes[0] = 2;
  qcodes[stride] = 2;
  params.set([0.25, 2, 0.5, 0.125, 0], 0);
  params.set([0.25, 2, 0.5, 0.125, Infinity], PARAM_BYTES / 4);
  const got = entries(kernel, kernel.scan(0, kernel.paddedRows, 2));
  const want: Entry[] = [];
  for (let r = 0; r < rows; r++) {
    const a = 2 * (r - 5) * 0.25 * 0.5;
    const b = 2 * 0.25 * r + 0.5 * 1 + 0.125;
    if (r !== 3 && a + b >= 0) want.push({ query: 0, row: r, lower: a - b, upper: a + b });
  }
  assert.deepEqual(got, want);
  assert.ok(want.length > 0 && want.length < rows - 1, 'the threshold dropped some rows and kept others');
  // Part of the rows only; bounds checked.
  assert.deepEqual(entries(kernel, kernel.scan(4, 8, 1)).map((e) => e.row), want.filter((e) => e.row >= 4 && e.row < 8).map((e) => e.row));
  assert.throws(() => kernel.scan(1, 8, 1), /multiples of 4/);
  assert.throws(() => kernel.scan(0, 12, 3), /at most 2/);
  assert.throws(() => new BankScanKernel({ rows: 4, stride: 24, maxQueries: 1, outCapacity: 1 }), /multiple of 16/);
});
