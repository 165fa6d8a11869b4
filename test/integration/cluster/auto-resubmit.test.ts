/**
 * Automatic resubmission on the real one-node Slurm cluster: a per-run setting (runs.submit's
 * autoResubmit, over the cluster's 0). A run whose job is ended by its time limit is resubmitted
 * from its last checkpoint by the app itself, at most N times: with N = 1, a run interrupted
 * once ends completed with every metric row once; a run interrupted twice stays interrupted.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { TempDir } from '../../fixtures/temp-home.ts';
import { waitFor } from '../../fixtures/wait-for.ts';
import { call, clusterWorkFolder, openClusterCore, demoConfig, ENDED, metricRowsUnique, pauseJob, whenStatus } from '../../fixtures/cluster/cluster-run-kit.ts';

let tmp: TempDir;
let workDir: string;

before(async () => {
  ({ tmp, workDir } = await clusterWorkFolder('snca-auto-resubmit-'));
});

after(() => tmp.cleanup());

test('autoResubmit 1: a run interrupted by its time limit is resubmitted once and completes with no metric row twice; interrupted again, it stays interrupted', { timeout: 600_000 }, async () => {
  const t = await openClusterCore(join(tmp.dir, 'home'));
  const core = t.core;
  const seen = new Map<string, string[]>();
  core.bus.on('run.changed', (s) => {
    const list = seen.get(s.id) ?? [];
    if (list.at(-1) !== s.status) list.push(s.status);
    seen.set(s.id, list);
  });
  try {
    await call(core, 'clusters.add', { name: 'here', route: { kind: 'local' }, workDir, defaults: { gpus: 0, cpus: 1, time: '10' }, autoResubmit: 0 });
    // Epochs long enough (24 iterations) for the first attempts to be paused after their first checkpoint.
    const config = demoConfig({ epochs: 3 }, 1200);
    const submit = async () => (await call(core, 'runs.submit', { config, cluster: 'here', resources: { time: '1' }, autoResubmit: 1 })).runs[0]!.id;
    const once = await submit();
    const twice = await submit();
    const dirOf = (id: string) => join(workDir, 'runs', id);
    assert.equal((await call(core, 'runs.cluster', { id: once }))!.autoResubmit, 1, 'the run keeps its own setting over the cluster 0');

    // Both first attempts are paused after their first checkpoint: the 1-minute limit ends them.
    const pauseAfterFirstCheckpoint = async (id: string) => {
      await waitFor(async () => (await call(core, 'runs.get', { id })).epochsDone >= 1, `the first checkpoint of ${id}`, 300_000, 100);
      return pauseJob(dirOf(id), 10_000);
    };
    const [firstOnce, firstTwice] = await Promise.all([pauseAfterFirstCheckpoint(once), pauseAfterFirstCheckpoint(twice)]);
    // The second attempt of `twice` is paused as soon as it starts.
    await waitFor(async () => (await call(core, 'runs.cluster', { id: twice }))!.resubmits === 1, 'the automatic resubmission of the second run', 240_000, 250);
    await pauseJob(dirOf(twice), 120_000, firstTwice);

    const a = await whenStatus(core, once, ['completed', 'failed', 'cancelled'], 300_000);
    assert.equal(a.status, 'completed', a.error ?? '');
    assert.deepEqual(seen.get(once), ['queued', 'running', 'interrupted', 'queued', 'running', 'completed']);
    const detailA = (await call(core, 'runs.cluster', { id: once }))!;
    assert.equal(detailA.resubmits, 1);
    assert.equal(detailA.slurmState, 'COMPLETED');
    const rows = await metricRowsUnique(core, once);
    assert.equal(rows.get('loss')?.value.length, 72, 'one loss row per iteration: 3 epochs × 1200/50, none twice');
    assert.deepEqual(rows.get('loss')?.step, Array.from({ length: 72 }, (_, i) => i + 1));
    assert.equal(a.epochsDone, 3);
    const logs = await call(core, 'runs.logs', { id: once });
    assert.equal(logs.filter((l) => /automatic resubmission/.test(l.message)).length, 1);
    assert.ok(firstOnce.length > 0 && firstTwice.length > 0);

    const b = await whenStatus(core, twice, ENDED, 300_000);
    assert.equal(b.status, 'interrupted', `${b.status}: ${b.error}`);
    assert.match(b.error ?? '', /TIMEOUT/);
    // It stays interrupted: no third attempt is submitted.
    await new Promise((r) => setTimeout(r, 2000));
    const detailB = (await call(core, 'runs.cluster', { id: twice }))!;
    assert.deepEqual([detailB.resubmits, (await call(core, 'runs.get', { id: twice })).status], [1, 'interrupted']);
    assert.deepEqual(seen.get(twice), ['queued', 'running', 'interrupted', 'queued', 'running', 'interrupted']);
    await metricRowsUnique(core, twice);
  } finally {
    await t.dispose();
  }
});
