/**
 * The ssh route end to end: a cluster registered as `ssh USER@127.0.0.1` (a real sshd on
 * loopback, test/cluster/sshd-loopback.sh, with a key this test makes) against the one-node
 * Slurm cluster. A reduced MNIST-demo run submitted through the contract goes queued →
 * running → completed, every metric row ingested once, its checkpoints listed by their path
 * on the cluster; a checkpoint fetched back over ssh matches its recorded sha256.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import type { TempDir } from '../../fixtures/temp-home.ts';
import { call, clusterWorkFolder, openClusterCore, demoConfig, ENDED, metricRowsUnique, whenStatus } from '../../fixtures/cluster/cluster-run-kit.ts';

const SCRIPT = resolve('test/cluster/sshd-loopback.sh');
const PORT = 2700 + (process.pid % 500);
let tmp: TempDir;
let sshOptions: string[];
let workDir: string;

before(async () => {
  // The login node is this machine: the app installed in the work folder is this checkout.
  ({ tmp, workDir } = await clusterWorkFolder('snca-ssh-submit-'));
  const printed = execFileSync('bash', [SCRIPT, 'start', join(tmp.dir, 'ssh')], { env: { ...process.env, SSHD_PORT: String(PORT) }, encoding: 'utf8' }).trim().split(/\s+/);
  // `-p PORT` comes first: the route carries the port on its own.
  sshOptions = printed.slice(2);
});

after(() => {
  execFileSync('bash', [SCRIPT, 'stop', join(tmp.dir, 'ssh')]);
  tmp.cleanup();
});


test('through ssh USER@127.0.0.1: a reduced MNIST-demo run goes queued → running → completed, metrics once, checkpoint listed and fetched by sha256', { timeout: 300_000 }, async () => {
  const home = join(tmp.dir, 'home');
  const t = await openClusterCore(home);
  const core = t.core;
  const seen: string[] = [];
  core.bus.on('run.changed', (s) => seen.at(-1) !== s.status && seen.push(s.status));
  try {
    const target = `${userInfo().username}@127.0.0.1`;
    await call(core, 'clusters.add', { name: 'far', route: { kind: 'ssh', target, port: PORT, options: sshOptions }, workDir, defaults: { gpus: 0, cpus: 1, time: '10' }, autoResubmit: 0 });
    const { runs } = await call(core, 'runs.submit', { config: demoConfig({ name: 'ssh demo' }), cluster: 'far' });
    const id = runs[0]!.id;
    assert.equal(runs[0]!.status, 'queued');
    const ended = await whenStatus(core, id, ENDED, 240_000);
    assert.equal(ended.status, 'completed', ended.error ?? '');
    assert.deepEqual(seen, ['queued', 'running', 'completed']);
    assert.equal(ended.epochsDone, 2);

    const series = await metricRowsUnique(core, id);
    assert.equal(series.get('loss')?.value.length, 12, 'one loss row per iteration: 2 epochs × 300/50');

    const detail = (await call(core, 'runs.cluster', { id }))!;
    assert.equal(detail.cluster, 'far');
    assert.equal(detail.slurmState, 'COMPLETED');
    assert.match(detail.script ?? '', /cluster-job "\$RUN_DIR"/, 'the submitted script is read back over ssh');

    const checkpoints = await call(core, 'runs.checkpoints', { id });
    const latest = checkpoints.find((c) => c.kind === 'latest');
    assert.ok(latest, 'a latest checkpoint is listed');
    assert.ok(latest.path.startsWith(join(workDir, 'runs', id, 'checkpoints')), `listed by its path on the cluster: ${latest.path}`);
    const fetched = await call(core, 'checkpoints.fetch', { id: latest.id });
    assert.ok(fetched.path.startsWith(join(home, 'runs', id)), fetched.path);
    assert.equal(fetched.sha256, latest.sha256);
    const local = readFileSync(fetched.path);
    assert.equal(local.length, latest.bytes);
    assert.equal(createHash('sha256').update(local).digest('hex'), latest.sha256, 'the copy home is byte for byte the checkpoint written on the node');
  } finally {
    await t.dispose();
  }
});
