import { test } from 'node:test';
import assert from 'node:assert/strict';
import { provideThreadStarter } from '../../../../src-main/engine/engine-threads.ts';
import { BankScanHelper, HELPER_LANE } from '../../../../src-main/engine/eval/bank-scan-helper.ts';
import { BankScanKernel, PARAM_BYTES } from '../../../../src-main/engine/eval/bank-scan-kernel.ts';
import { firstPass, rowRange } from '../../../../src-main/engine/eval/bank-scan-pass.ts';
import { startWorkerEntryThread } from '../../../../src-main/workers/worker-entry.ts';

/** A kernel of `rows` rows whose code products with query code 1 are the row's own code. */
function kernelOf(rows: number): BankScanKernel {
  const kernel = new BankScanKernel({ rows, dim: 1, stride: 16, maxQueries: 2, outCapacity: 4096 });
  const { codes, scale, res, norm } = kernel.bankViews();
  for (let r = 0; r < rows; r++) {
    codes[r * 16] = ((r * 37) % 255) - 127;
    scale[r] = 1;
    res[r] = 0.5;
    norm[r] = 1;
  }
  for (const lane of [0, HELPER_LANE]) {
    const { qcodes, params } = kernel.queryViews(lane);
    qcodes[0] = 1;
    params.set([1, 1, 0, 0, -Infinity], 0);
    params.set([1, 1, 0, 0, Infinity], PARAM_BYTES / 4); // query 1: searched exactly elsewhere
  }
  return kernel;
}

async function readyHelper(kernel: BankScanKernel): Promise<BankScanHelper> {
  const helper = BankScanHelper.start(kernel);
  assert.ok(helper, 'a helper starts where a ThreadStarter is given');
  for (let i = 0; i < 300 && !helper.ready; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(helper.ready, true);
  return helper;
}

test('no ThreadStarter, no helper', () => {
  provideThreadStarter(null);
  const kernel = kernelOf(8);
  assert.equal(BankScanHelper.start(kernel), null);
});

test('the helper scans the chunks it claims on lane 1 as this thread would; a part that fails retires it', async () => {
  provideThreadStarter(startWorkerEntryThread);
  const kernel = kernelOf(4000);
  const helper = await readyHelper(kernel);
  try {
    // Two chunks of 2000 rows, none claimed by this thread: the helper scans both.
    assert.equal(helper.begin(2, 5, 2, 2000), true);
    const theirs = helper.finish();
    assert.equal(helper.claim(), -1, 'every chunk was claimed');
    // The same rows on lane 0, from the same starting parameters.
    const mine = firstPass(kernel, 0, 2, 5, rowRange(0, 4000));
    assert.deepEqual(theirs, mine);
    assert.equal(mine[1], null, 'a query with threshold +∞ is skipped');
    assert.deepEqual([...mine[0]!.lowerRows].length, 5);

    assert.equal(helper.completed, 1);
    assert.ok(mine[0]!.candidateRows.length > 0);
    // A search that claims chunks: this thread takes some, the helper the others, none twice.
    assert.equal(helper.begin(1, 5, 1000, 4), true);
    const taken: number[] = [];
    for (let i = helper.claim(); i >= 0; i = helper.claim()) taken.push(i);
    const helped = helper.finish();
    assert.ok(helped, 'the helper answered');
    assert.equal(new Set(taken).size, taken.length);
    assert.ok(taken.every((i) => i >= 0 && i < 1000));
    // Chunks of 2001 rows: not a multiple of 4, the kernel refuses, the helper answers the error and is retired.
    assert.equal(helper.begin(1, 5, 1, 2001), true);
    assert.equal(helper.finish(), null);
    assert.match(helper.retired ?? '', /multiples of 4/);
    assert.equal(helper.ready, false);
    assert.equal(helper.begin(1, 5, 1, 4000), false, 'a retired helper takes no part');
  } finally {
    helper.dispose();
    provideThreadStarter(null);
  }
});
