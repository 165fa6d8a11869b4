/**
 * The ssh route: Slurm's commands and the event log read through a real sshd on 127.0.0.1
 * (test/cluster/sshd-loopback.sh, with a key this test makes), against the one-node cluster.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SshShell } from '../../../src-main/cluster/cluster-shell.ts';
import { parseEventLogChunk } from '../../../src-main/cluster/event-log.ts';
import { renderSbatchScript } from '../../../src-main/cluster/sbatch-script.ts';
import { SlurmClient } from '../../../src-main/cluster/slurm-client.ts';
import { makeTempDir, type TempDir } from '../../fixtures/temp-home.ts';
import { waitFor } from '../../fixtures/wait-for.ts';

const SCRIPT = resolve('test/cluster/sshd-loopback.sh');
const PORT = 2200 + (process.pid % 500);
let tmp: TempDir;
let shell: SshShell;

before(() => {
  tmp = makeTempDir('snca-ssh-');
  chmodSync(tmp.dir, 0o755);
  const keyDir = join(tmp.dir, 'ssh');
  const options = execFileSync('bash', [SCRIPT, 'start', keyDir], { env: { ...process.env, SSHD_PORT: String(PORT) }, encoding: 'utf8' }).trim().split(/\s+/);
  // The script prints `-p PORT` first: the route carries the port on its own.
  shell = new SshShell({ kind: 'ssh', target: '127.0.0.1', port: PORT, options: options.slice(2) });
});

after(() => {
  execFileSync('bash', [SCRIPT, 'stop', join(tmp.dir, 'ssh')]);
  tmp.cleanup();
});

test('through ssh: a job is submitted, followed to COMPLETED, and its event log read by offset', { timeout: 120_000 }, async () => {
  const slurm = new SlurmClient(shell);
  const appDir = join(tmp.dir, 'app');
  mkdirSync(join(appDir, 'bin'), { recursive: true });
  copyFileSync(resolve('test/fixtures/cluster/fake-app-snca.mjs'), join(appDir, 'bin', 'snca.js'));
  const runDir = join(tmp.dir, 'runs', 'r1');
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, 'behaviour'), 'complete');
  const script = renderSbatchScript({
    jobName: 'snca-ssh',
    appDir,
    nodeBinary: process.execPath,
    runDirs: [runDir],
    outputPattern: join(runDir, 'slurm.out'),
    errorPattern: join(runDir, 'slurm.err'),
    resources: { gpus: 0, cpus: 1, time: '5' },
  });
  const jobId = await slurm.submit(join(runDir, 'job.sbatch'), script);
  let state = '';
  await waitFor(async () => {
    state = (await slurm.states([jobId])).get(String(jobId))?.state ?? '';
    return state === 'COMPLETED';
  }, () => `job ${jobId} to complete (it is ${state})`, 60_000, 250);
  const path = join(runDir, 'events.jsonl');
  const head = await shell.readFrom(path, 0, 20);
  const first = parseEventLogChunk(head!, 0, path);
  assert.deepEqual([first.lines.length, first.nextOffset], [0, 0], 'a 20-byte read holds no complete line');
  const whole = parseEventLogChunk((await shell.readFrom(path, 0, 1 << 20))!, 0, path);
  assert.deepEqual(whole.lines.map((l) => l.event.type), ['started', 'metrics', 'metrics', 'metrics', 'done']);
  const second = whole.lines[1]!;
  const fromSecond = parseEventLogChunk((await shell.readFrom(path, whole.lines[0] ? JSON.stringify(whole.lines[0]).length + 1 : 0, 1 << 20))!, 0, path);
  assert.deepEqual(fromSecond.lines[0], second, 'reading from a line boundary starts at that line');
  assert.equal((await shell.readFrom(path, whole.nextOffset, 10))!.length, 0, 'nothing past the end');
  assert.equal(await shell.readFrom(join(runDir, 'missing'), 0, 10), null);
});

test('an unreachable host is a clear error naming the route', async () => {
  const dead = new SshShell({ kind: 'ssh', target: '127.0.0.1', port: 1, options: ['-o', 'ConnectTimeout=2'] });
  await assert.rejects(dead.run('squeue', []), /ssh 127\.0\.0\.1: cannot connect: .*(refused|timed out)/i);
});
