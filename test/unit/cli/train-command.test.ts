/** `snca train` and `snca runs` in-process against a temp database, with fake training workers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../../../src-main/cli/program.ts';
import { openStore } from '../../../src-main/store/store.ts';
import { recordingContext } from '../../fixtures/cli-context.ts';
import { newRun } from '../../fixtures/run-records.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';
import { fakeWorker } from '../../fixtures/workers/fake-workers.ts';

test('train completes: progress, final metrics, exit 0; runs --json and the table show it', { timeout: 60_000 }, async () => {
  const tmp = makeTempDir();
  try {
    const ctx = recordingContext({ home: tmp.dir, workerEntry: fakeWorker('completing') });
    const code = await runCli(['train', '--preset', 'mnist-demo', '--epochs', '2', '--batch-size', '8', '--lr', '0.05', '--name', 'cli run', '--seed', '7'], ctx);
    assert.equal(code, 0, ctx.err());
    const out = ctx.out();
    assert.match(out, /^Run [0-9a-z]{15} "cli run" \(mnist-demo, small-convnet, 2 epochs\)/);
    // Log lines are flushed in batches, so they may come a moment after progress lines.
    assert.match(out, /\nEpoch 1\/2 done\n[\s\S]*\nEpoch 2\/2 done\n/);
    assert.match(out, /\nepoch 2\/2 · batch 0\/8/);
    assert.match(out, /completed after \d+s on cpu \(fake CPU\), 2\/2 epochs — loss 0\.1176 · knn_top1 60\.00%/);

    const json = recordingContext({ home: tmp.dir });
    assert.equal(await runCli(['runs', '--json'], json), 0);
    const runs = JSON.parse(json.out()) as Record<string, unknown>[];
    assert.equal(runs.length, 1);
    const r = runs[0]!;
    for (const key of ['id', 'name', 'status', 'preset', 'backend', 'created_at', 'metrics']) assert.ok(key in r, key);
    assert.equal(r.name, 'cli run');
    assert.equal(r.status, 'completed');
    assert.equal(r.backend, 'cpu');
    assert.deepEqual(r.metrics, { knn_top1: 0.6, loss: 2 / 17, lr: 0.05 });

    const table = recordingContext({ home: tmp.dir });
    assert.equal(await runCli(['runs'], table), 0);
    const lines = table.out().trimEnd().split('\n');
    assert.match(lines[0]!, /^ID\s+NAME\s+STATUS\s+PRESET\s+BACKEND\s+EPOCHS\s+CREATED\s+KNN_TOP1$/);
    assert.match(lines[1]!, /cli run\s+completed\s+mnist-demo\s+cpu\s+2\/2\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+60\.00%$/);
  } finally {
    tmp.cleanup();
  }
});

test('train with a failing worker exits 1 with the error', { timeout: 60_000 }, async () => {
  const tmp = makeTempDir();
  try {
    const ctx = recordingContext({ home: tmp.dir, workerEntry: fakeWorker('error-reporting') });
    assert.equal(await runCli(['train', '--epochs', '1'], ctx), 1);
    assert.match(ctx.out(), /failed after/);
    assert.match(ctx.err(), /error: The loss became NaN/);
  } finally {
    tmp.cleanup();
  }
});

test('Ctrl-C cancels the run cleanly (exit 130, run cancelled, partial metrics kept)', { timeout: 60_000 }, async () => {
  const tmp = makeTempDir();
  try {
    const ctx = recordingContext({ home: tmp.dir, workerEntry: fakeWorker('cancel-waiting') });
    const done = runCli(['train', '--epochs', '3'], ctx);
    const deadline = Date.now() + 15_000;
    // Wait until the worker is really running (it has posted its first log line via metrics flush).
    const store = openStore(`${tmp.dir}/snca.db`);
    try {
      while (!store.runs.list().some((r) => r.backend !== null)) {
        if (Date.now() > deadline) throw new Error('run never started');
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      store.close();
    }
    ctx.interrupt();
    assert.equal(await done, 130);
    assert.match(ctx.err(), /Cancelling the run/);
    assert.match(ctx.out(), /cancelled after/);
    const json = recordingContext({ home: tmp.dir });
    await runCli(['runs', '--json'], json);
    const [run] = JSON.parse(json.out()) as { status: string; metrics: Record<string, number> }[];
    assert.equal(run!.status, 'cancelled');
    assert.equal(run!.metrics.loss, 1 / 3);
  } finally {
    tmp.cleanup();
  }
});

test('every CLI start runs crash recovery: a running run of a dead process becomes interrupted', { timeout: 60_000 }, async () => {
  const tmp = makeTempDir();
  try {
    const store = openStore(`${tmp.dir}/snca.db`);
    store.runs.insert(newRun('dead', { ownerPid: 2 ** 22 + 4321, heartbeatAt: Date.now() - 3_600_000 }));
    store.runs.transition('dead', ['queued'], 'running');
    store.close();
    const ctx = recordingContext({ home: tmp.dir });
    assert.equal(await runCli(['runs', '--json'], ctx), 0);
    const [run] = JSON.parse(ctx.out()) as { status: string; error: string }[];
    assert.equal(run!.status, 'interrupted');
    assert.match(ctx.err(), /marked 1 run\(s\).*interrupted: dead/);
  } finally {
    tmp.cleanup();
  }
});

test('runs on an empty database says how to start', { timeout: 60_000 }, async () => {
  const tmp = makeTempDir();
  try {
    const ctx = recordingContext({ home: tmp.dir });
    assert.equal(await runCli(['runs'], ctx), 0);
    assert.match(ctx.out(), /No runs yet\. Start one with: snca train --preset mnist-demo/);
    const json = recordingContext({ home: tmp.dir });
    await runCli(['runs', '--json'], json);
    assert.deepEqual(JSON.parse(json.out()), []);
  } finally {
    tmp.cleanup();
  }
});
