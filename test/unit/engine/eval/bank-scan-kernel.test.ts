import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { codeRow } from '../../../../src-main/engine/eval/bank-codes.ts';
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
    const kernel = new BankScanKernel({ rows, dim, stride, maxQueries: 4, outCapacity: 1024 });
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
  const kernel = new BankScanKernel({ rows, dim: 1, stride, maxQueries: 2, outCapacity: 64 });
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
  assert.throws(() => new BankScanKernel({ rows: 4, dim: 4, stride: 24, maxQueries: 1, outCapacity: 1 }), /multiple of 16/);
});

test('coder: int8 codes within one step of the JS coding, residual and norm bounds that hold, odd rows irregular', () => {
  for (const dim of [4, 12, 128]) {
    const rows = 40;
    const stride = Math.ceil(dim / 16) * 16;
    const kernel = new BankScanKernel({ rows, dim, stride, maxQueries: 1, outCapacity: 16 });
    assert.ok(kernel.stageRows > 0);
    const rnd = lcg(dim);
    const block = new Float32Array(rows * dim);
    for (let i = 0; i < block.length; i++) block[i] = (rnd() - 0.5) * 2 ** Math.floor(rnd() * 20 - 10);
    const odd = [Number.NaN, Infinity, -Infinity, 3e15];
    odd.forEach((v, i) => (block[(i + 1) * dim + (i % dim)] = v));
    block.fill(0, 10 * dim, 11 * dim); // zero row
    block.fill(1e-44, 11 * dim, 12 * dim); // subnormal row: scale 0
    block[12 * dim] = 1; // one value at the top of the range, the rest tiny
    // Coded in two calls, to rows 0.. of the bank.
    kernel.codeRows(block, 20, 0);
    kernel.codeRows(block.subarray(20 * dim), 20, 20);
    const { codes, scale, res, norm } = kernel.bankViews();
    const js = new Int8Array(dim);
    for (let r = 0; r < rows; r++) {
      const x = block.subarray(r * dim, (r + 1) * dim);
      const c = codes.subarray(r * stride, (r + 1) * stride);
      assert.ok(c.subarray(dim).every((v) => v === 0), 'codes past the dimension stay 0');
      if (r >= 1 && r <= 4) {
        assert.ok(Number.isNaN(res[r]!) && scale[r] === 0 && norm[r] === 0 && c.every((v) => v === 0), `row ${r} is irregular`);
        continue;
      }
      assert.ok(c.every((v) => v >= -127 && v <= 127));
      let resSq = 0;
      let normSq = 0;
      for (let d = 0; d < dim; d++) {
        const back = c[d]! * scale[r]!;
        resSq += (x[d]! - back) ** 2;
        normSq += back ** 2;
      }
      assert.ok(Math.sqrt(resSq) <= res[r]!, `row ${r}: residual ${Math.sqrt(resSq)} <= ${res[r]}`);
      assert.ok(Math.sqrt(normSq) <= norm[r]!, `row ${r}: norm ${Math.sqrt(normSq)} <= ${norm[r]}`);
      assert.ok(res[r]! <= Math.sqrt(resSq) * (1 + 1e-5) + 1e-44, 'the bound is tight');
      const ref = codeRow(block, r * dim, dim, js, 0);
      assert.ok(Math.abs(scale[r]! - ref.scale) <= ref.scale * 2 ** -23, `row ${r}: scale ${scale[r]} vs ${ref.scale}`);
      for (let d = 0; d < dim; d++) assert.ok(Math.abs(c[d]! - js[d]!) <= 1, `row ${r} value ${d}: code ${c[d]} vs ${js[d]}`);
    }
    assert.equal(scale[11], 0, 'a subnormal row has scale 0');
    assert.ok(res[11]! > 0, '... and its residual is the row itself');
    assert.throws(() => kernel.codeRows(block, 41, 0), /cannot code rows/);
  }
  const odd = new BankScanKernel({ rows: 4, dim: 3, stride: 16, maxQueries: 1, outCapacity: 16 });
  assert.equal(odd.stageRows, 0);
  assert.throws(() => odd.codeRows(new Float32Array(12), 4, 0), /multiples of 4/);
});
