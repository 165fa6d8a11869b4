import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { isProcessAlive } from '../../../src-main/core/process-liveness.ts';
import { isOrphaned, recoverOrphanedRuns } from '../../../src-main/core/run-recovery.ts';
import { openStore } from '../../../src-main/store/store.ts';
import { newRun } from '../../fixtures/run-records.ts';

const NOW = 1_800_000_000_000;

test('isOrphaned: dead owner, stale heartbeat or no owner', () => {
  const check = { now: NOW, staleAfterMs: 30_000, isAlive: (pid: number) => pid === 10 };
  assert.equal(isOrphaned({ ownerPid: 10, heartbeatAt: NOW - 1000 }, check), false);
  assert.equal(isOrphaned({ ownerPid: 11, heartbeatAt: NOW - 1000 }, check), true, 'dead process');
  assert.equal(isOrphaned({ ownerPid: 10, heartbeatAt: NOW - 31_000 }, check), true, 'alive pid but silent: recycled pid or hung');
  assert.equal(isOrphaned({ ownerPid: null, heartbeatAt: NOW }, check), true);
  assert.equal(isOrphaned({ ownerPid: 10, heartbeatAt: null }, check), true);
});

test('running rows of dead owners become interrupted; live owners and queued rows are left alone', () => {
  const store = openStore(':memory:');
  const alive = new Set([10]);
  for (const [id, pid, status] of [['dead-run', 11, 'running'], ['live-run', 10, 'running'], ['dead-queued', 11, 'queued'], ['done', 11, 'completed']] as const) {
    store.runs.insert(newRun(id, { ownerPid: pid, heartbeatAt: NOW - 1000 }));
    if (status !== 'queued') store.runs.transition(id, ['queued'], status);
  }
  const report = recoverOrphanedRuns(store, { now: NOW, staleAfterMs: 30_000, isAlive: (pid) => alive.has(pid) });
  assert.deepEqual(report.interrupted, ['dead-run']);
  assert.deepEqual(report.ownedElsewhere, ['live-run']);
  assert.deepEqual(report.orphanedQueued.map((r) => r.id), ['dead-queued']);
  const dead = store.runs.get('dead-run')!;
  assert.equal(dead.status, 'interrupted');
  assert.match(dead.error ?? '', /pid 11.*stopped without finishing/);
  assert.equal(dead.endedAt, new Date(NOW).toISOString());
  assert.equal(store.runs.get('live-run')!.status, 'running');
  assert.equal(store.runs.get('dead-queued')!.status, 'queued');
  assert.equal(store.runs.get('done')!.status, 'completed');
  store.close();
});

test('isProcessAlive: this process yes, an exited child no, nonsense pids no', () => {
  assert.equal(isProcessAlive(process.pid), true);
  const child = spawnSync(process.execPath, ['-e', '0']);
  assert.equal(isProcessAlive(child.pid!), false);
  assert.equal(isProcessAlive(0), false);
  assert.equal(isProcessAlive(-5), false);
  assert.equal(isProcessAlive(1.5), false);
});
