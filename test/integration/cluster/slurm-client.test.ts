/**
 * Against the real one-node Slurm cluster that test/cluster/slurm-one-node.sh starts (.ci/run
 * starts it): submission of a rendered script, a job array, state polling, cancel, a time limit,
 * and incremental reading of the event logs the jobs write. The job entry is a stand-in for
 * `snca cluster-job` (test/fixtures/cluster/fake-app-snca.mjs) so that these tests time Slurm,
 * not training.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LocalShell } from '../../../src-main/cluster/cluster-shell.ts';
import { parseEventLogChunk } from '../../../src-main/cluster/event-log.ts';
import { renderSbatchScript } from '../../../src-main/cluster/sbatch-script.ts';
import { jobKey, SlurmClient, type JobState } from '../../../src-main/cluster/slurm-client.ts';
import { makeTempDir, type TempDir } from '../../fixtures/temp-home.ts';
import { waitFor } from '../../fixtures/wait-for.ts';

const shell = new LocalShell();
const slurm = new SlurmClient(shell);
let tmp: TempDir;
let appDir: string;

before(async () => {
  const info = await shell.run('sinfo', ['-h', '-o', '%T']).catch((err: unknown) => ({ code: -1, stdout: '', stderr: String(err) }));
  assert.ok(
    info.code === 0 && /idle|mixed|allocated/.test(info.stdout),
    `no Slurm cluster answers here (${info.stderr.trim() || info.stdout.trim()}): start one with test/cluster/slurm-one-node.sh start`,
  );
  tmp = makeTempDir('snca-slurm-');
  chmodSync(tmp.dir, 0o755);
  appDir = join(tmp.dir, 'app');
  mkdirSync(join(appDir, 'bin'), { recursive: true });
  copyFileSync(resolve('test/fixtures/cluster/fake-app-snca.mjs'), join(appDir, 'bin', 'snca.js'));
});

process.on('exit', () => tmp?.cleanup());

function submission(name: string, behaviours: string[], time = '5') {
  const runDirs = behaviours.map((b, i) => {
    const dir = join(tmp.dir, name, `run-${i}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'behaviour'), b);
    return dir;
  });
  const script = renderSbatchScript({
    jobName: `snca-test-${name}`,
    appDir,
    nodeBinary: process.execPath,
    runDirs,
    outputPattern: join(tmp.dir, name, 'task-%a.out'),
    errorPattern: join(tmp.dir, name, 'task-%a.err'),
    resources: { gpus: 0, cpus: 1, time },
  });
  return { runDirs, script, scriptPath: join(tmp.dir, name, 'job.sbatch') };
}

async function statesWhen(jobId: number, done: (s: Map<string, JobState>) => boolean, timeoutMs: number): Promise<Map<string, JobState>> {
  let last = new Map<string, JobState>();
  await waitFor(async () => {
    last = await slurm.states([jobId]);
    return done(last);
  }, () => `job ${jobId} (last seen: ${JSON.stringify([...last])})`, timeoutMs, 250);
  return last;
}

async function readLog(dir: string) {
  const path = join(dir, 'events.jsonl');
  // Read in small pieces, as the app does over a slow link: every line arrives exactly once.
  let offset = 0;
  const lines = [];
  for (;;) {
    const bytes = await shell.readFrom(path, offset, 64);
    assert.ok(bytes, `${path} exists`);
    if (bytes.length === 0) break;
    const chunk = parseEventLogChunk(bytes, offset, path);
    if (chunk.nextOffset === offset) {
      const more = await shell.readFrom(path, offset, 1 << 20);
      const whole = parseEventLogChunk(more!, offset, path);
      lines.push(...whole.lines);
      offset = whole.nextOffset;
      continue;
    }
    lines.push(...chunk.lines);
    offset = chunk.nextOffset;
  }
  return lines;
}

test('a 3-task job array runs every task to COMPLETED, each writing its own event log', async () => {
  const s = submission('array', ['complete', 'complete', 'complete']);
  const jobId = await slurm.submit(s.scriptPath, s.script);
  const states = await statesWhen(jobId, (m) => m.size === 3 && [...m.values()].every((v) => v.mapped?.ended), 60_000);
  assert.deepEqual([0, 1, 2].map((t) => states.get(jobKey({ jobId, arrayTask: t }))?.mapped?.status), ['completed', 'completed', 'completed']);
  for (const [i, dir] of s.runDirs.entries()) {
    const lines = await readLog(dir);
    assert.deepEqual(lines.map((l) => l.seq), [0, 1, 2, 3, 4]);
    const started = lines[0]!.event;
    assert.ok(started.type === 'started' && started.detail === `task ${i}`);
    assert.deepEqual(lines.at(-1)!.event, { type: 'done', status: 'completed' });
  }
});

test('scancel of a running job ends it CANCELLED; a failing job ends FAILED with its exit code', async () => {
  const sleeping = submission('cancel', ['sleep']);
  const failing = submission('fail', ['fail']);
  const a = await slurm.submit(sleeping.scriptPath, sleeping.script);
  const b = await slurm.submit(failing.scriptPath, failing.script);
  await statesWhen(a, (m) => m.get(String(a))?.mapped?.status === 'running', 60_000);
  await slurm.cancel({ jobId: a, arrayTask: null });
  const cancelled = await statesWhen(a, (m) => m.get(String(a))?.mapped?.ended === true, 30_000);
  assert.equal(cancelled.get(String(a))?.mapped?.status, 'cancelled');
  const failed = await statesWhen(b, (m) => m.get(String(b))?.mapped?.ended === true, 60_000);
  assert.equal(failed.get(String(b))?.mapped?.status, 'failed');
  assert.equal(failed.get(String(b))?.exitCode, '3:0');
});

test('a job past its time limit ends TIMEOUT, which the app shows as interrupted', { timeout: 200_000 }, async () => {
  const s = submission('timeout', ['sleep'], '1');
  const jobId = await slurm.submit(s.scriptPath, s.script);
  const states = await statesWhen(jobId, (m) => m.get(String(jobId))?.mapped?.ended === true, 180_000);
  assert.equal(states.get(String(jobId))?.state, 'TIMEOUT');
  assert.equal(states.get(String(jobId))?.mapped?.status, 'interrupted');
});

test('an unknown partition is refused by sbatch with its own message, and nothing is queued', async () => {
  const s = submission('badpart', ['complete']);
  const script = s.script.replace('#SBATCH --ntasks=1', '#SBATCH --ntasks=1\n#SBATCH --partition=nosuchpartition');
  await assert.rejects(slurm.submit(s.scriptPath, script), /sbatch: .*invalid partition/i);
  assert.deepEqual(await slurm.partitions(), ['debug']);
});

test('following jobs by ref: one squeue call while they are active, scontrol only for those squeue no longer lists', async () => {
  const calls: string[] = [];
  const counting = new SlurmClient({
    description: shell.description,
    run: (command, args, options) => (calls.push(command), shell.run(command, args, options)),
    readFrom: (path, offset, max) => shell.readFrom(path, offset, max),
  });
  const s = submission('refs', ['sleep', 'sleep']);
  const jobId = await slurm.submit(s.scriptPath, s.script);
  const refs = [0, 1].map((t) => ({ jobId, arrayTask: t }));
  try {
    // Two pending or running tasks: squeue accounts for both.
    await waitFor(async () => {
      calls.length = 0;
      const m = await counting.states(refs);
      return refs.every((r) => m.get(jobKey(r))?.mapped?.ended === false);
    }, () => `both tasks active (calls ${calls.join(',')})`, 60_000, 250);
    assert.deepEqual(calls, ['squeue']);
  } finally {
    await slurm.cancel({ jobId, arrayTask: null });
  }
  let last = new Map<string, JobState>();
  await waitFor(async () => {
    calls.length = 0;
    last = await counting.states(refs);
    return refs.every((r) => last.get(jobKey(r))?.mapped?.ended === true);
  }, () => `both tasks ended (${JSON.stringify([...last])})`, 30_000, 250);
  // Ended tasks have left squeue: one scontrol call for the job covers both.
  assert.deepEqual(calls, ['squeue', 'scontrol']);
  assert.deepEqual(refs.map((r) => last.get(jobKey(r))?.mapped?.status), ['cancelled', 'cancelled']);
});
