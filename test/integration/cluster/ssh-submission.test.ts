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
import { chmodSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import type { MethodInput, MethodName, MethodOutput } from '../../../shared/api.ts';
import { findPreset, RunConfigSchema } from '../../../shared/run-config.ts';
import { LocalShell } from '../../../src-main/cluster/cluster-shell.ts';
import { createCore, type Core } from '../../../src-main/core/core.ts';
import { makeTempDir, type TempDir } from '../../fixtures/temp-home.ts';
import { waitUntil } from '../../fixtures/cluster/wait-until.ts';

const SCRIPT = resolve('test/cluster/sshd-loopback.sh');
const PORT = 2700 + (process.pid % 500);
let tmp: TempDir;
let sshOptions: string[];
let workDir: string;

before(async () => {
  const info = await new LocalShell().run('sinfo', ['-h', '-o', '%T']).catch((err: unknown) => ({ code: -1, stdout: '', stderr: String(err) }));
  assert.ok(info.code === 0 && /idle|mixed|allocated/.test(info.stdout), `no Slurm cluster answers here: start one with test/cluster/slurm-one-node.sh start (${info.stderr.trim()})`);
  tmp = makeTempDir('snca-ssh-submit-');
  chmodSync(tmp.dir, 0o755);
  const printed = execFileSync('bash', [SCRIPT, 'start', join(tmp.dir, 'ssh')], { env: { ...process.env, SSHD_PORT: String(PORT) }, encoding: 'utf8' }).trim().split(/\s+/);
  // `-p PORT` comes first: the route carries the port on its own.
  sshOptions = printed.slice(2);
  workDir = join(tmp.dir, 'work');
  mkdirSync(workDir);
  // The login node is this machine: the app installed in the work folder is this checkout.
  symlinkSync(resolve('.'), join(workDir, 'app'));
});

after(() => {
  execFileSync('bash', [SCRIPT, 'stop', join(tmp.dir, 'ssh')]);
  tmp.cleanup();
});

function call<M extends MethodName>(core: Core, method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
  return core.call(method, input);
}

test('through ssh USER@127.0.0.1: a reduced MNIST-demo run goes queued → running → completed, metrics once, checkpoint listed and fetched by sha256', { timeout: 300_000 }, async () => {
  const home = join(tmp.dir, 'home');
  const core = await createCore({ home, clusterPollMs: 300, diagnostics: () => {} });
  const seen: string[] = [];
  core.bus.on('run.changed', (s) => seen.at(-1) !== s.status && seen.push(s.status));
  try {
    const target = `${userInfo().username}@127.0.0.1`;
    await call(core, 'clusters.add', { name: 'far', route: { kind: 'ssh', target, port: PORT, options: sshOptions }, workDir, defaults: { gpus: 0, cpus: 1, time: '10' }, autoResubmit: 0 });
    const preset = findPreset('mnist-demo')!;
    const config = RunConfigSchema.parse({ ...preset.config, name: 'ssh demo', epochs: 2, batchSize: 50, workers: 0, dataset: { kind: 'mnist', trainSize: 300, valSize: 100 } });
    const { runs } = await call(core, 'runs.submit', { config, cluster: 'far' });
    const id = runs[0]!.id;
    assert.equal(runs[0]!.status, 'queued');
    let status = '';
    await waitUntil(async () => {
      status = (await call(core, 'runs.get', { id })).status;
      return !['queued', 'running'].includes(status);
    }, 240_000, () => `run ${id} is ${status}`);
    const ended = await call(core, 'runs.get', { id });
    assert.equal(ended.status, 'completed', ended.error ?? '');
    assert.deepEqual(seen, ['queued', 'running', 'completed']);
    assert.equal(ended.epochsDone, 2);

    const series = await call(core, 'runs.metrics', { id, maxPoints: 100_000 });
    for (const s of series) assert.equal(new Set(s.step).size, s.step.length, `${s.key}: no step twice`);
    assert.equal(series.find((s) => s.key === 'loss')?.value.length, 12, 'one loss row per iteration: 2 epochs × 300/50');

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
    await core.close();
  }
});
