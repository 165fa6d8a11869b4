/**
 * The compute-node entry `snca cluster-job RUN_DIR`, run in-process on a short MNIST-demo job:
 * it trains with the stored config, writes the event log (started, metrics, checkpoint, done)
 * and the checkpoint; a stop request (SIGTERM) ends it without `done`; a bad job file is refused
 * with its path. The same entry under the real Slurm is tested in slurm-client.test.ts's sibling.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findPreset, RunConfigSchema } from '../../../shared/run-config.ts';
import { EVENT_LOG_FILE, CLUSTER_JOB_FILE, runClusterJob } from '../../../src-main/cluster/cluster-job.ts';
import { parseEventLogChunk } from '../../../src-main/cluster/event-log.ts';
import { runCli } from '../../../src-main/cli/program.ts';
import { recordingContext } from '../../fixtures/cli-context.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';

function demoJob(epochs: number) {
  const preset = findPreset('mnist-demo')!;
  return {
    runId: 'clusterjob1',
    backend: 'wasm' as const,
    config: RunConfigSchema.parse({ ...preset.config, name: 'cluster demo', epochs, batchSize: 50, dataset: { kind: 'mnist', trainSize: 300, valSize: 100 } }),
  };
}

function events(runDir: string) {
  const path = join(runDir, EVENT_LOG_FILE);
  return parseEventLogChunk(new Uint8Array(readFileSync(path)), 0, path).lines;
}

test('cluster-job trains the stored config and reports through the event log', { timeout: 180_000 }, async () => {
  const tmp = makeTempDir('snca-cluster-job-');
  try {
    writeFileSync(join(tmp.dir, CLUSTER_JOB_FILE), JSON.stringify(demoJob(1)));
    const ctx = recordingContext();
    assert.equal(await runCli(['cluster-job', tmp.dir], ctx), 0, ctx.err());
    const lines = events(tmp.dir);
    assert.deepEqual(lines.map((l) => l.seq), lines.map((_, i) => i), 'seq numbers are dense');
    const types = lines.map((l) => l.event.type);
    assert.equal(types[0], 'started');
    assert.equal(types.at(-1), 'done');
    const losses = lines.flatMap((l) => (l.event.type === 'metrics' ? l.event.points : [])).filter((p) => p.key === 'loss');
    assert.equal(losses.length, 6, 'one loss per iteration (300 / 50)');
    const checkpoint = lines.find((l) => l.event.type === 'checkpoint');
    assert.ok(checkpoint && checkpoint.event.type === 'checkpoint');
    assert.ok(existsSync(checkpoint.event.checkpoint.path));
    assert.ok(checkpoint.event.checkpoint.path.startsWith(join(tmp.dir, 'checkpoints')));
  } finally {
    tmp.cleanup();
  }
});

test('a stop request ends the job without done, and a resumed job continues the numbering', { timeout: 180_000 }, async () => {
  const tmp = makeTempDir('snca-cluster-job-');
  try {
    writeFileSync(join(tmp.dir, CLUSTER_JOB_FILE), JSON.stringify(demoJob(3)));
    let checkpoints = 0;
    // Stop once the first epoch's checkpoint is in the log: the next iteration boundary ends it.
    const stopRequested = () => {
      checkpoints = existsSync(join(tmp.dir, EVENT_LOG_FILE)) ? events(tmp.dir).filter((l) => l.event.type === 'checkpoint').length : 0;
      return checkpoints > 0;
    };
    assert.equal(await runClusterJob(tmp.dir, { stopRequested }), 0);
    const first = events(tmp.dir);
    assert.ok(!first.some((l) => l.event.type === 'done'));
    assert.match(JSON.stringify(first.at(-1)!.event), /Stopped by SIGTERM/);
    const latest = first.flatMap((l) => (l.event.type === 'checkpoint' && l.event.checkpoint.kind === 'latest' ? [l.event.checkpoint] : [])).at(-1)!;

    writeFileSync(join(tmp.dir, CLUSTER_JOB_FILE), JSON.stringify({ ...demoJob(3), resumeFrom: { path: latest.path, sha256: latest.sha256 } }));
    assert.equal(await runClusterJob(tmp.dir), 0);
    const all = events(tmp.dir);
    assert.deepEqual(all.map((l) => l.seq), all.map((_, i) => i));
    assert.equal(all.at(-1)!.event.type, 'done');
    const epochs = all.flatMap((l) => (l.event.type === 'checkpoint' && l.event.checkpoint.kind === 'latest' ? [l.event.checkpoint.epoch] : []));
    assert.deepEqual(epochs, [1, 2, 3]);
  } finally {
    tmp.cleanup();
  }
});

test('a missing or bad job file is refused with its path and exit code 2', async () => {
  const tmp = makeTempDir('snca-cluster-job-');
  try {
    const ctx = recordingContext();
    assert.equal(await runCli(['cluster-job', tmp.dir], ctx), 2);
    assert.match(ctx.err(), new RegExp(`error: ${join(tmp.dir, CLUSTER_JOB_FILE).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: no job file`));
    writeFileSync(join(tmp.dir, CLUSTER_JOB_FILE), JSON.stringify({ runId: 'x', config: { epochs: -1 } }));
    const ctx2 = recordingContext();
    assert.equal(await runCli(['cluster-job', tmp.dir], ctx2), 2);
    assert.match(ctx2.err(), /job\.json: config\./);
  } finally {
    tmp.cleanup();
  }
});
