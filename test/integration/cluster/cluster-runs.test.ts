/**
 * Runs on the real one-node Slurm cluster (test/cluster/slurm-one-node.sh, started by .ci/run),
 * submitted through the contract like the GUI and the CLI do, running the real app's
 * `snca cluster-job` on the node and followed through the event log:
 * a reduced MNIST-demo run queued → running → completed with every metric row once; a 3-point
 * sweep as one job array; scancel; a time limit → interrupted → resumed → completed with the
 * same final weights as an uninterrupted run; the app closed and reopened mid-run; and the bad
 * inputs that must leave nothing half-submitted.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { MethodInput } from '../../../shared/api.ts';
import type { Core } from '../../../src-main/core/core.ts';
import { readCheckpoint } from '../../../src-main/engine/checkpoint/checkpoint-reader.ts';
import { LocalShell } from '../../../src-main/cluster/cluster-shell.ts';
import type { TempDir } from '../../fixtures/temp-home.ts';
import { waitFor } from '../../fixtures/wait-for.ts';
import { call, clusterWorkFolder, openClusterCore, demoConfig, metricRowsUnique, whenStatus } from '../../fixtures/cluster/cluster-run-kit.ts';

let tmp: TempDir;
let workDir: string;

before(async () => {
  // The login node is this machine: the installed app is this checkout (`cluster check --install`
  // copies a built app instead; tested on its own in cluster-install.test.ts).
  ({ tmp, workDir } = await clusterWorkFolder('snca-cluster-runs-'));
});

after(() => tmp.cleanup());

/** A read-only view (bind mount) of a work folder holding the app: needs root, as the test cluster does. */
function readOnlyView(source: string, view: string): { dir: string; release(): void } {
  mkdirSync(join(source, 'runs'), { recursive: true });
  symlinkSync(resolve('.'), join(source, 'app'));
  mkdirSync(view);
  execFileSync('mount', ['--bind', source, view]);
  execFileSync('mount', ['-o', 'remount,bind,ro', view]);
  return { dir: view, release: () => execFileSync('umount', [view]) };
}

async function registerLocal(core: Core, name = 'local', extra: Partial<MethodInput<'clusters.add'>> = {}) {
  return call(core, 'clusters.add', { name, route: { kind: 'local' }, workDir, defaults: { gpus: 0, cpus: 1, time: '10' }, autoResubmit: 0, ...extra });
}

test('a reduced MNIST-demo run goes queued → running → completed on the cluster, every metric row ingested once, its checkpoint listed', { timeout: 240_000 }, async () => {
  const home = join(tmp.dir, 'home-1');
  const t = await openClusterCore(home);
  const core = t.core;
  const seen: string[] = [];
  core.bus.on('run.changed', (s) => seen.at(-1) !== s.status && seen.push(s.status));
  try {
    await registerLocal(core);
    const { runs, sweep } = await call(core, 'runs.submit', { config: demoConfig(), cluster: 'local' });
    assert.equal(sweep, null);
    assert.equal(runs.length, 1);
    const id = runs[0]!.id;
    assert.equal(runs[0]!.status, 'queued');
    const ended = await whenStatus(core, id, ['completed', 'failed', 'cancelled', 'interrupted'], 200_000);
    assert.equal(ended.status, 'completed', ended.error ?? '');
    assert.deepEqual(seen.filter((s, i) => i === 0 || s !== seen[i - 1]), ['queued', 'running', 'completed']);
    assert.equal(ended.epochsDone, 2);
    assert.match(ended.device ?? '', /wasm/);
    const byKey = await metricRowsUnique(core, id);
    assert.equal(byKey.get('loss')?.value.length, 12, 'one loss per iteration: 2 epochs × 300/50');
    assert.ok((byKey.get('knn_top1')?.value.length ?? 0) >= 1);
    const checkpoints = await call(core, 'runs.checkpoints', { id });
    const latest = checkpoints.find((c) => c.kind === 'latest');
    assert.ok(latest && latest.path.startsWith(join(workDir, 'runs', id, 'checkpoints')), 'checkpoints are listed by their path on the cluster');
    const detail = (await call(core, 'runs.cluster', { id }))!;
    assert.equal(detail.cluster, 'local');
    assert.equal(detail.slurmState, 'COMPLETED');
    assert.match(detail.script ?? '', /#SBATCH --job-name=snca-/);
    assert.match(detail.script ?? '', /cluster-job "\$RUN_DIR"/);

    // Fetch brings the checkpoint home, verified.
    const fetched = await call(core, 'checkpoints.fetch', { id: latest.id });
    assert.ok(fetched.path.startsWith(join(home, 'runs', id)));
    assert.equal(fetched.sha256, latest.sha256);
  } finally {
    await t.dispose();
  }
});

test('a 3-point sweep is one job array: 3 runs, tagged with the sweep, all completed', { timeout: 240_000 }, async () => {
  const t = await openClusterCore(join(tmp.dir, 'home-2'));
  const core = t.core;
  try {
    await registerLocal(core);
    const { runs, sweep } = await call(core, 'runs.submit', { config: demoConfig({ epochs: 1 }, 100), cluster: 'local', sweep: [{ path: 'lr', values: [0.1, 0.05, 0.02] }] });
    assert.ok(sweep);
    assert.equal(runs.length, 3);
    const details = await Promise.all(runs.map(async (r) => (await call(core, 'runs.cluster', { id: r.id }))!));
    assert.equal(new Set(details.map((d) => d.jobId)).size, 1, 'one Slurm job');
    assert.deepEqual(details.map((d) => d.arrayTask), [0, 1, 2]);
    for (const r of runs) {
      assert.deepEqual(r.tags, [`sweep:${sweep}`]);
      const ended = await whenStatus(core, r.id, ['completed', 'failed', 'cancelled', 'interrupted'], 200_000);
      assert.equal(ended.status, 'completed', ended.error ?? '');
    }
    const lrs = await Promise.all(runs.map(async (r) => (await call(core, 'runs.get', { id: r.id })).config.lr));
    assert.deepEqual(lrs, [0.1, 0.05, 0.02]);
  } finally {
    await t.dispose();
  }
});

test('scancel mid-run: the run ends cancelled', { timeout: 240_000 }, async () => {
  const t = await openClusterCore(join(tmp.dir, 'home-3'));
  const core = t.core;
  try {
    await registerLocal(core);
    const { runs } = await call(core, 'runs.submit', { config: demoConfig({ epochs: 500 }, 100), cluster: 'local' });
    const id = runs[0]!.id;
    await whenStatus(core, id, ['running'], 120_000);
    await waitFor(async () => ((await call(core, 'runs.metrics', { id, keys: ['loss'], maxPoints: 10 }))[0]?.value.length ?? 0) > 0, 'the first loss rows', 120_000, 250);
    await call(core, 'runs.cancel', { id });
    const ended = await whenStatus(core, id, ['completed', 'failed', 'cancelled', 'interrupted'], 60_000);
    assert.equal(ended.status, 'cancelled');
  } finally {
    await t.dispose();
  }
});

test('a time limit interrupts a run; resumed, it completes with no metric row twice and the weights of an uninterrupted run', { timeout: 600_000 }, async () => {
  const home = join(tmp.dir, 'home-4');
  let t = await openClusterCore(home);
  let core = t.core;
  try {
    await registerLocal(core);
    const config = demoConfig({ epochs: 6 }, 300);
    const limited = (await call(core, 'runs.submit', { config, cluster: 'local', resources: { time: '1' } })).runs[0]!.id;
    const whole = (await call(core, 'runs.submit', { config, cluster: 'local', resources: { time: '30' } })).runs[0]!.id;
    // Make the 1-minute limit bite whatever this machine's speed: once the first epoch's checkpoint
    // is in, the job's process is paused (SIGSTOP), so it is still running when Slurm's limit ends it.
    await waitFor(async () => (await call(core, 'runs.get', { id: limited })).epochsDone >= 1, 'the first checkpoint', 300_000, 250);
    const shell = new LocalShell();
    const pids = (await shell.run('pgrep', ['-f', `cluster-job ${join(workDir, 'runs', limited)}`])).stdout.trim().split(/\s+/).filter(Boolean);
    assert.ok(pids.length > 0, 'the job process is found on the node');
    for (const pid of pids) process.kill(Number(pid), 'SIGSTOP');
    const interrupted = await whenStatus(core, limited, ['completed', 'failed', 'cancelled', 'interrupted'], 300_000);
    assert.equal(interrupted.status, 'interrupted', `${interrupted.status}: ${interrupted.error}`);
    assert.match(interrupted.error ?? '', /TIMEOUT/);
    assert.ok(interrupted.epochsDone >= 1 && interrupted.epochsDone < 6, `epochs done ${interrupted.epochsDone}`);

    // The app is closed while the uninterrupted run goes on, and reopened: it catches up.
    await t.dispose();
    t = await openClusterCore(home);
    core = t.core;
    await call(core, 'runs.resume', { id: limited });
    const [a, b] = await Promise.all([
      whenStatus(core, limited, ['completed', 'failed', 'cancelled', 'interrupted'], 400_000),
      whenStatus(core, whole, ['completed', 'failed', 'cancelled', 'interrupted'], 400_000),
    ]);
    assert.equal(a.status, 'completed', a.error ?? '');
    assert.equal(b.status, 'completed', b.error ?? '');
    const rowsA = await metricRowsUnique(core, limited);
    const rowsB = await metricRowsUnique(core, whole);
    assert.equal(rowsA.get('loss')?.value.length, 36, 'one loss row per iteration: 6 epochs × 300/50, none twice');
    assert.deepEqual(rowsA.get('loss')?.value, rowsB.get('loss')?.value, 'the resumed run continued bit for bit');
    const finalOf = async (id: string) => (await call(core, 'runs.checkpoints', { id })).find((c) => c.kind === 'latest')!;
    const ca = readCheckpoint((await finalOf(limited)).path);
    const cb = readCheckpoint((await finalOf(whole)).path);
    assert.equal(ca.header.epoch, 6);
    for (const [name, t] of cb.tensors) assert.deepEqual(ca.tensors.get(name)?.data, t.data, `${name} equal`);
    const detail = (await call(core, 'runs.cluster', { id: limited }))!;
    assert.equal(detail.slurmState, 'COMPLETED');
  } finally {
    await t.dispose();
  }
});

test('bad input leaves nothing half-submitted: unknown partition, unreachable host, unwritable work folder, app not installed', { timeout: 120_000 }, async () => {
  const t = await openClusterCore(join(tmp.dir, 'home-5'));
  const core = t.core;
  try {
    await registerLocal(core);
    const before = (await call(core, 'runs.list', {})).total;
    await assert.rejects(call(core, 'runs.submit', { config: demoConfig(), cluster: 'local', resources: { partition: 'gpu-huge' } }), /resources\.partition: "gpu-huge" is not a partition of cluster local; it has: debug/);
    await call(core, 'clusters.add', { name: 'far', route: { kind: 'ssh', target: '127.0.0.1', port: 1, options: ['-o', 'ConnectTimeout=2'] }, workDir, defaults: { gpus: 0, cpus: 1 }, autoResubmit: 0 });
    await assert.rejects(call(core, 'runs.submit', { config: demoConfig(), cluster: 'far' }), /Cluster far \(ssh 127\.0\.0\.1\) cannot be reached.*nothing was submitted/);
    await registerLocal(core, 'nowhere-writable', { workDir: '/proc/snca-not-writable' });
    await assert.rejects(call(core, 'runs.submit', { config: demoConfig(), cluster: 'nowhere-writable' }), /The work folder \/proc\/snca-not-writable of cluster nowhere-writable is not writable \(.*\): pick a folder you own on the shared filesystem; nothing was submitted/);
    // A work folder with the app installed, on a read-only mount (root may write anywhere else).
    const ro = readOnlyView(join(tmp.dir, 'ro-work'), join(tmp.dir, 'ro-view'));
    try {
      await registerLocal(core, 'readonly', { workDir: ro.dir });
      await assert.rejects(call(core, 'runs.submit', { config: demoConfig(), cluster: 'readonly' }), /The work folder .*ro-view of cluster readonly is not writable \(.*Read-only file system\): pick a folder you own/);
      await assert.rejects(call(core, 'runs.submit', { config: demoConfig(), cluster: 'readonly', sweep: [{ path: 'seed', values: [1, 2] }] }), /cluster readonly is not writable/);
      const checks = await call(core, 'clusters.check', { name: 'readonly', install: false });
      assert.deepEqual(checks.map((c) => [c.name, c.ok]), [['route', true], ['slurm', true], ['partition', true], ['work-folder', false]]);
      assert.match(checks.at(-1)!.detail, /is not writable.*Pick a folder on the shared filesystem that you own/);
    } finally {
      ro.release();
    }
    const bare = join(tmp.dir, 'bare');
    mkdirSync(bare);
    await registerLocal(core, 'bare', { workDir: bare });
    await assert.rejects(call(core, 'runs.submit', { config: demoConfig(), cluster: 'bare' }), /app is not installed on cluster bare .*snca cluster check bare --install/);
    assert.equal((await call(core, 'runs.list', {})).total, before, 'no run was stored');
    await assert.rejects(call(core, 'runs.submit', { config: demoConfig(), cluster: 'nowhere' }), /Cluster "nowhere" was not found/);

    const checks = await call(core, 'clusters.check', { name: 'bare', install: false });
    assert.deepEqual(checks.map((c) => [c.name, c.ok]), [['route', true], ['slurm', true], ['partition', true], ['work-folder', true], ['app', false]]);
    assert.match(checks.at(-1)!.detail, /snca cluster check bare --install/);
    const unreachable = await call(core, 'clusters.check', { name: 'far', install: false });
    assert.deepEqual(unreachable.map((c) => [c.name, c.ok]), [['route', false]]);
  } finally {
    await t.dispose();
  }
});

test('cluster check passes every step on the local cluster, running snca doctor on a compute node', { timeout: 180_000 }, async () => {
  const t = await openClusterCore(join(tmp.dir, 'home-6'));
  const core = t.core;
  try {
    await registerLocal(core);
    const checks = await call(core, 'clusters.check', { name: 'local', install: false });
    assert.deepEqual(checks.map((c) => [c.name, c.ok]), [['route', true], ['slurm', true], ['partition', true], ['work-folder', true], ['app', true], ['compute-node', true]], JSON.stringify(checks));
    assert.match(checks.at(-1)!.detail, /ran snca doctor on a compute node:\nbackend\s+installed\s+loads\s+device\s+matmul GFLOP\/s\n/);
    assert.match(checks.at(-1)!.detail, /\nwasm\s+yes\s+yes\s+CPU \(wasm/);
  } finally {
    await t.dispose();
  }
});

test('the CLI registers a cluster and submits to it: snca cluster add, snca train --on, snca cluster list', { timeout: 120_000 }, async () => {
  const home = join(tmp.dir, 'home-cli');
  const { runCli } = await import('../../../src-main/cli/program.ts');
  const { recordingContext } = await import('../../fixtures/cli-context.ts');
  const add = recordingContext({ home });
  assert.equal(await runCli(['cluster', 'add', 'here', '--local', '--work-dir', workDir, '--gpus', '0', '--cpus', '1', '--time', '10'], add), 0, add.err());
  assert.match(add.out(), /Cluster here registered \(local, work folder .*\)\. Next: snca cluster check here --install/);
  const submit = recordingContext({ home });
  const code = await runCli(['train', '--preset', 'mnist-demo', '--epochs', '1', '--on', 'here', '--time', '5', '--sweep', 'seed=1,2'], submit);
  assert.equal(code, 0, submit.err());
  assert.match(submit.out(), /^Sweep [0-9a-z]{15} of 2 runs on cluster here/);
  const list = recordingContext({ home });
  assert.equal(await runCli(['cluster', 'list'], list), 0);
  assert.match(list.out(), /^here\tlocal\t.*\t0 GPU, 1 CPU, time 10\n$/);
  // Leave nothing running on the cluster: cancel both through the contract.
  const t = await openClusterCore(home);
  const core = t.core;
  try {
    const { runs } = await call(core, 'runs.list', {});
    assert.equal(runs.length, 2);
    for (const r of runs) {
      const detail = (await call(core, 'runs.cluster', { id: r.id }))!;
      assert.equal(detail.cluster, 'here');
      assert.match(detail.script ?? '', /#SBATCH --time=5\n/);
      await call(core, 'runs.cancel', { id: r.id }).catch(() => undefined);
    }
  } finally {
    await t.dispose();
  }
});
