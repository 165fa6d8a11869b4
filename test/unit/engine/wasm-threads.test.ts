/**
 * The threaded wasm build: it starts under Node with one thread per core, its numbers are
 * bit-identical to the single-threaded build (so resumed runs stay exact), the process
 * still exits, and SNCA_WASM_THREADS is parsed with a clear message.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_WASM_THREADS, wantedWasmThreads } from '../../../src-main/engine/wasm-threads.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const child = path.join(repo, 'test', 'fixtures', 'wasm-threads-child.ts');

interface ChildResult {
  device: string;
  detail: string;
  sha256: string;
}

function runChild(threads: string | undefined): ChildResult {
  const env = { ...process.env };
  delete env.SNCA_BACKEND;
  if (threads === undefined) delete env.SNCA_WASM_THREADS;
  else env.SNCA_WASM_THREADS = threads;
  // A child that never exits (pthread workers holding the event loop) fails on the timeout.
  const r = spawnSync(process.execPath, ['--import', 'tsx', child], { cwd: repo, env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `child (SNCA_WASM_THREADS=${threads}) exited with ${r.status} ${r.signal ?? ''}: ${r.stderr.slice(-2000)}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as ChildResult;
}

describe('threaded wasm build', () => {
  it('runs with one thread per core, gives the single-threaded build\'s results bit for bit, and exits', () => {
    const threads = Math.min(os.availableParallelism(), MAX_WASM_THREADS);
    const single = runChild('1');
    assert.match(single.device, /^CPU \(wasm, SIMD, 1 thread\)$/);
    assert.match(single.detail, /single-threaded build \(SNCA_WASM_THREADS=1\), JS kernels on 1 thread$/);
    const multi = runChild(undefined);
    if (threads > 1) {
      assert.equal(multi.device, `CPU (wasm, SIMD, ${threads} threads)`);
      // The JS kernel loops take the second core too (kernels/heap-helper.ts), inside the same bit-identical results.
      assert.match(multi.detail, /threaded build, JS kernels on 2 threads$/);
    }
    assert.equal(multi.sha256, single.sha256, 'matmul, conv, ResNet loss and gradients differ between the builds');
    const two = runChild('2');
    assert.equal(two.device, 'CPU (wasm, SIMD, 2 threads)');
    assert.equal(two.sha256, single.sha256);
  });

  it('reads SNCA_WASM_THREADS: a count (capped at 8), else the cores; anything else is refused by name', () => {
    assert.equal(wantedWasmThreads({ SNCA_WASM_THREADS: '1' }), 1);
    assert.equal(wantedWasmThreads({ SNCA_WASM_THREADS: ' 3 ' }), 3);
    assert.equal(wantedWasmThreads({ SNCA_WASM_THREADS: '64' }), MAX_WASM_THREADS);
    assert.equal(wantedWasmThreads({}), Math.min(os.availableParallelism(), MAX_WASM_THREADS));
    for (const bad of ['0', '-2', '1.5', 'two']) {
      assert.throws(() => wantedWasmThreads({ SNCA_WASM_THREADS: bad }), new RegExp(`SNCA_WASM_THREADS="${bad}" must be a whole number`));
    }
  });
});
