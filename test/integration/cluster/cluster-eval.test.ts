/**
 * An evaluation as a Slurm job on the real one-node cluster: a cluster run's checkpoint is
 * evaluated on the node (`snca cluster-eval DIR`), its outcome read back and recorded in the
 * evaluations table like a local one — the same numbers as evaluating the fetched copy here,
 * the per-sample results copied home, the cache key shared. `snca eval RUN --on CLUSTER` does
 * the same from the CLI. A checkpoint that is not on the cluster, or a cluster without the app,
 * is refused with nothing stored.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Evaluation } from '../../../shared/domain.ts';
import type { TempDir } from '../../fixtures/temp-home.ts';
import { call, clusterWorkFolder, openClusterCore, demoConfig, ENDED, whenStatus } from '../../fixtures/cluster/cluster-run-kit.ts';

let tmp: TempDir;
let workDir: string;

before(async () => {
  ({ tmp, workDir } = await clusterWorkFolder('snca-cluster-eval-'));
});

after(() => tmp.cleanup());

test('a cluster run checkpoint evaluated as a Slurm job is recorded like a local evaluation, with the same result', { timeout: 400_000 }, async () => {
  const home = join(tmp.dir, 'home');
  const t = await openClusterCore(home);
  const core = t.core;
  const changes: Evaluation[] = [];
  core.bus.on('evaluation.changed', (e) => changes.push(e));
  let runId: string;
  let latestId: number;
  let preferredId: number;
  try {
    await call(core, 'clusters.add', { name: 'here', route: { kind: 'local' }, workDir, defaults: { gpus: 0, cpus: 1, time: '10' }, autoResubmit: 0 });
    runId = (await call(core, 'runs.submit', { config: demoConfig(), cluster: 'here' })).runs[0]!.id;
    const ended = await whenStatus(core, runId, ENDED, 240_000);
    assert.equal(ended.status, 'completed', ended.error ?? '');
    const checkpoints = await call(core, 'runs.checkpoints', { id: runId });
    const latest = checkpoints.find((c) => c.kind === 'latest')!;
    latestId = latest.id;
    // What a run id evaluates: its best checkpoint, else its latest.
    preferredId = (checkpoints.find((c) => c.kind === 'best') ?? latest).id;

    // Refusals first: nothing may be left behind.
    mkdirSync(join(tmp.dir, 'bare'));
    await call(core, 'clusters.add', { name: 'bare', route: { kind: 'local' }, workDir: join(tmp.dir, 'bare'), defaults: { gpus: 0, cpus: 1 }, autoResubmit: 0 });
    await assert.rejects(call(core, 'evaluations.create', { checkpointId: latest.id, cluster: 'bare' }), /is not on cluster bare: a cluster evaluation reads a checkpoint that a run of that cluster wrote there/);
    await assert.rejects(call(core, 'evaluations.create', { checkpointId: latest.id, resources: { time: '5' } }), /resources: Slurm resources only apply to an evaluation on a cluster/);
    assert.deepEqual(await call(core, 'evaluations.list', { runId }), [], 'no evaluation row was left by a refusal');

    const started = await call(core, 'evaluations.create', { checkpointId: latest.id, cluster: 'here', k: 20, resources: { time: '5' } });
    assert.equal(started.status, 'running');
    const done = await core.evaluations.whenDone(started.id);
    assert.equal(done.status, 'completed', done.error ?? '');
    assert.deepEqual([...new Set(changes.filter((e) => e.id === started.id).map((e) => e.status))], ['running', 'completed']);
    assert.equal(done.samples, 100, 'the val split of the reduced demo');
    assert.equal(done.checkpointPath, latest.path, 'the checkpoint was read on the cluster, where the run wrote it');
    assert.match(done.backend ?? '', /wasm|cpu|tensorflow/);
    const listed = await call(core, 'evaluations.list', { runId });
    assert.deepEqual(listed.map((e) => [e.id, e.status]), [[started.id, 'completed']]);
    const samples = join(home, 'runs', runId, 'evaluations', `${started.id}.psr`);
    assert.ok(existsSync(samples), 'the per-sample results were copied home where a local evaluation writes them');
    const panel = await call(core, 'compare.neighbours', { evaluationIds: [started.id], index: 0 });
    assert.equal(panel.length, 1, 'the per-sample results serve the compare view');

    // The same key asked for here is the stored result.
    const again = await call(core, 'evaluations.create', { checkpointId: latest.id, k: 20 });
    assert.deepEqual([again.id, again.reused], [started.id, true]);

    // Evaluated here from the fetched copy (a fresh database, so nothing is reused): the same numbers.
    const fetched = await call(core, 'checkpoints.fetch', { id: latest.id });
    const otherCore = await openClusterCore(join(tmp.dir, 'home-local'));
    const other = otherCore.core;
    try {
      const local = await other.evaluations.whenDone((await call(other, 'evaluations.create', { path: fetched.path, k: 20 })).id);
      assert.equal(local.status, 'completed', local.error ?? '');
      assert.deepEqual([local.top1, local.top5, local.nnTop1, local.samples, local.perClass, local.confusion], [done.top1, done.top5, done.nnTop1, done.samples, done.perClass, done.confusion]);
    } finally {
      await otherCore.dispose();
    }
  } finally {
    await t.dispose();
  }

  // `snca eval RUN --on CLUSTER` submits, waits for the job and prints the result.
  const { runCli } = await import('../../../src-main/cli/program.ts');
  const { recordingContext } = await import('../../fixtures/cli-context.ts');
  const ctx = recordingContext({ home, clusterPollMs: 300 });
  assert.equal(await runCli(['eval', runId, '--on', 'here', '--k', '5', '--time', '5'], ctx), 0, ctx.err());
  assert.match(ctx.err(), /evaluation \d+ submitted to cluster here; waiting for its job/);
  assert.match(ctx.out(), /K 5, sigma [\d.]+, memory bank, 100 val samples\ntop-1 \d+\.\d\d%\ntop-5 \d+\.\d\d%\n/);
  const refused = recordingContext({ home });
  assert.equal(await runCli(['eval', runId, '--time', '5'], refused), 1);
  assert.match(refused.err(), /--time are Slurm resources: they go with --on CLUSTER/);
  const reopenedCore = await openClusterCore(home);
  const reopened = reopenedCore.core;
  try {
    const all = await call(reopened, 'evaluations.list', { runId });
    assert.deepEqual(all.map((e) => [e.k, e.status, e.checkpointId]), [[5, 'completed', preferredId], [20, 'completed', latestId]], 'the run id evaluated its checkpoint on the cluster, not the copy fetched home');
  } finally {
    await reopenedCore.dispose();
  }
});
