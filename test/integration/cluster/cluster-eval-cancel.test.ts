/**
 * Cancelling an evaluation that runs as a Slurm job on the real one-node cluster: the answer
 * comes at once (still running), its job leaves Slurm's queue (scancel), and the cluster poll
 * records it cancelled, with no result; a second cancel is refused as ended, and the same
 * evaluation asked for again is a new job, not the cancelled one reused.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { LocalShell } from '../../../src-main/cluster/cluster-shell.ts';
import type { TempDir } from '../../fixtures/temp-home.ts';
import { waitFor } from '../../fixtures/wait-for.ts';
import { call, clusterWorkFolder, demoConfig, ENDED, openClusterCore, whenStatus } from '../../fixtures/cluster/cluster-run-kit.ts';

let tmp: TempDir;
let workDir: string;

before(async () => {
  ({ tmp, workDir } = await clusterWorkFolder('snca-cluster-eval-cancel-'));
});

after(() => tmp.cleanup());

/** Whether Slurm still lists the job (pending or running). */
async function queued(jobId: number): Promise<boolean> {
  const out = await new LocalShell().run('squeue', ['-h', '-j', String(jobId), '-o', '%T']);
  return /PENDING|RUNNING|CONFIGURING|COMPLETING/.test(out.stdout);
}

test('a cluster evaluation cancelled while its Slurm job is queued or running leaves the queue and ends cancelled without a result', { timeout: 180_000 }, async () => {
  const t = await openClusterCore(join(tmp.dir, 'home'));
  const core = t.core;
  try {
    await call(core, 'clusters.add', { name: 'here', route: { kind: 'local' }, workDir, defaults: { gpus: 0, cpus: 1, time: '10' }, autoResubmit: 0 });
    // The smallest cluster run that leaves a checkpoint on the cluster.
    const runId = (await call(core, 'runs.submit', { config: demoConfig({ epochs: 1 }, 100), cluster: 'here' })).runs[0]!.id;
    const ended = await whenStatus(core, runId, ENDED, 150_000);
    assert.equal(ended.status, 'completed', ended.error ?? '');

    const started = await call(core, 'evaluations.create', { runId, cluster: 'here', k: 5 });
    assert.equal(started.status, 'running');
    const jobId = t.store.clusters.getEvaluation(started.id)?.jobId ?? null;
    assert.ok(jobId !== null, 'the evaluation was submitted as a Slurm job');
    assert.equal(await queued(jobId), true, 'Slurm lists the job');

    const answer = await call(core, 'evaluations.cancel', { id: started.id });
    assert.equal(answer.id, started.id);
    const done = await core.evaluations.whenDone(started.id);
    assert.equal(done.status, 'cancelled', done.error ?? '');
    assert.deepEqual([done.top1, done.top5, done.samples], [null, null, null], 'no result is recorded');
    await waitFor(async () => !(await queued(jobId)), `Slurm job ${jobId} to leave the queue`, 10_000, 200);
    await assert.rejects(call(core, 'evaluations.cancel', { id: started.id }), /has already ended \(cancelled\)/);

    const again = await call(core, 'evaluations.create', { runId, cluster: 'here', k: 5 });
    assert.notEqual(again.id, started.id, 'a cancelled evaluation is not reused');
    assert.equal(again.reused ?? false, false);
    await call(core, 'evaluations.cancel', { id: again.id });
    assert.equal((await core.evaluations.whenDone(again.id)).status, 'cancelled');
  } finally {
    await t.dispose();
  }
});
