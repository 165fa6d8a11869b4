/** Scheduler behaviour through the core: queueing, cancel, grace-period termination, shutdown, ownership. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { ApiError } from '../../../shared/api-error.ts';
import { demoConfig, newRun } from '../../fixtures/run-records.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';
import { startTestCore, statusesOf } from '../../fixtures/test-core.ts';
import { fakeWorker } from '../../fixtures/workers/fake-workers.ts';
import { waitFor } from '../../fixtures/wait-for.ts';

test('one slot: the second run waits queued; cancelling the queued one ends it at once; cancel of a running one is cooperative', { timeout: 60_000 }, async () => {
  const t = await startTestCore('cancel-waiting');
  try {
    const a = await t.core.runs.create(demoConfig({ name: 'a' }));
    const b = await t.core.runs.create(demoConfig({ name: 'b' }));
    const c = await t.core.runs.create(demoConfig({ name: 'c' }));
    assert.equal(t.store.runs.get(a.id)!.status, 'running');
    assert.equal(b.status, 'queued');
    assert.deepEqual(t.core.scheduler.queuedIds, [b.id, c.id]);
    const cancelledB = t.core.runs.cancel(b.id);
    assert.equal(cancelledB.status, 'cancelled');
    assert.throws(() => t.core.runs.cancel(b.id), (e: unknown) => e instanceof ApiError && e.code === 'conflict');
    await waitFor(() => t.store.runs.get(a.id)!.backend, 'worker a started');
    t.core.runs.cancel(a.id);
    const endA = await t.core.runs.whenEnded(a.id);
    assert.equal(endA.status, 'cancelled');
    assert.equal(endA.metrics.loss, 1 / 3, 'partial metrics stay');
    // The slot freed: c starts.
    await waitFor(() => t.store.runs.get(c.id)!.status === 'running', 'c running');
    t.core.runs.cancel(c.id);
    assert.equal((await t.core.runs.whenEnded(c.id)).status, 'cancelled');
    assert.deepEqual(statusesOf(t.events, a.id), ['queued', 'running', 'cancelled']);
    assert.deepEqual(statusesOf(t.events, b.id), ['queued', 'cancelled']);
    assert.throws(() => t.core.runs.cancel('nope'), (e: unknown) => e instanceof ApiError && e.code === 'not_found');
  } finally {
    await t.dispose();
  }
});

test('a worker ignoring cancel is terminated after the grace period and the run ends cancelled', { timeout: 60_000 }, async () => {
  const t = await startTestCore('stubborn', { timing: { cancelGraceMs: 150 } });
  try {
    const { id } = await t.core.runs.create(demoConfig());
    await waitFor(() => t.store.runs.get(id)!.backend, 'worker started');
    const t0 = Date.now();
    t.core.runs.cancel(id);
    const end = await t.core.runs.whenEnded(id);
    assert.equal(end.status, 'cancelled');
    assert.ok(Date.now() - t0 >= 140, 'waited for the grace period');
    assert.equal(end.metrics.loss, 1);
    assert.ok(t.diagnostics.some((d) => /did not stop within 150 ms/.test(d)));
  } finally {
    await t.dispose();
  }
});

test('invalid configs are refused naming the field; nothing is stored', { timeout: 60_000 }, async () => {
  const t = await startTestCore('completing');
  try {
    await assert.rejects(
      () => t.core.runs.create({ ...demoConfig(), batchSize: 0 }),
      (e: unknown) => e instanceof ApiError && e.code === 'invalid_input' && e.issues?.[0]?.path === 'config.batchSize',
    );
    await assert.rejects(() => t.core.runs.create('nonsense'), (e: unknown) => e instanceof ApiError && e.code === 'invalid_input');
    assert.deepEqual(t.core.runs.list().runs, []);
  } finally {
    await t.dispose();
  }
});

test('closing the core interrupts a running run and leaves queued ones for the next start', { timeout: 60_000 }, async () => {
  const tmp = makeTempDir();
  try {
    const t = await startTestCore('stubborn', { home: tmp.dir });
    const a = await t.core.runs.create(demoConfig({ name: 'running' }));
    const b = await t.core.runs.create(demoConfig({ name: 'queued' }));
    await waitFor(() => t.store.runs.get(a.id)!.backend, 'worker started');
    await t.core.close('test shutdown');
    await t.dispose();
    // The same process reopens: b's owner (this pid) looks alive, so only a stale heartbeat frees it.
    const again = await startTestCore('completing', { home: tmp.dir, staleAfterMs: 0 });
    try {
      const ra = again.core.runs.summary(a.id);
      assert.equal(ra.status, 'interrupted');
      assert.equal(ra.error, 'test shutdown');
      assert.deepEqual(again.core.recovery.adopted, [b.id]);
      assert.equal((await again.core.runs.whenEnded(b.id)).status, 'completed');
    } finally {
      await again.dispose();
    }
  } finally {
    tmp.cleanup();
  }
});

test('two cores on one database: cancel reaches the owner through the database', { timeout: 60_000 }, async () => {
  const tmp = makeTempDir();
  const owner = await startTestCore('cancel-waiting', { home: tmp.dir, heartbeatMs: 50 });
  const other = await startTestCore('completing', { home: tmp.dir });
  try {
    const { id } = await owner.core.runs.create(demoConfig());
    await waitFor(() => owner.store.runs.get(id)!.backend, 'worker started');
    const seen = other.core.runs.cancel(id);
    assert.equal(seen.status, 'running', 'the other process only asks');
    assert.equal((await owner.core.runs.whenEnded(id)).status, 'cancelled');
  } finally {
    await other.dispose();
    await owner.dispose();
    tmp.cleanup();
  }
});

test('a run another live process trains is not interrupted by start-up recovery; a killed one is', { timeout: 60_000 }, async () => {
  const tmp = makeTempDir();
  const script = fileURLToPath(new URL('../../fixtures/core-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, tmp.dir, fakeWorker('cancel-waiting').url.href], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (out += d));
    const id = await waitFor(() => /RUNNING (\S+)/.exec(out)?.[1], 'child run running', 20_000);
    const gui = await startTestCore('completing', { home: tmp.dir });
    try {
      assert.deepEqual(gui.core.recovery.interrupted, []);
      assert.ok(gui.core.recovery.ownedElsewhere.includes(id));
      assert.equal(gui.core.runs.summary(id).status, 'running');
    } finally {
      await gui.dispose();
    }
    child.kill('SIGKILL');
    await once(child, 'exit');
    const after = await startTestCore('completing', { home: tmp.dir });
    try {
      assert.deepEqual(after.core.recovery.interrupted, [id]);
      assert.equal(after.core.runs.summary(id).status, 'interrupted');
      assert.equal(after.core.runs.summary(id).metrics.loss, 1 / 3, 'metrics written before the crash are kept');
    } finally {
      await after.dispose();
    }
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    tmp.cleanup();
  }
});

test('an owner whose run was wrongly marked interrupted takes it back at its next heartbeat', { timeout: 60_000 }, async () => {
  const t = await startTestCore('cancel-waiting', { heartbeatMs: 50 });
  try {
    const { id } = await t.core.runs.create(demoConfig());
    await waitFor(() => t.store.runs.get(id)!.backend, 'worker started');
    assert.equal(t.store.runs.transition(id, ['running'], 'interrupted', { endedAt: 'x', error: 'stale' }), true);
    await waitFor(() => t.store.runs.get(id)!.status === 'running', 'reclaimed');
    assert.equal(t.store.runs.get(id)!.endedAt, null);
    t.core.runs.cancel(id);
    assert.equal((await t.core.runs.whenEnded(id)).status, 'cancelled');
  } finally {
    await t.dispose();
  }
});

test('a queued run whose owner died is cancelled directly', { timeout: 60_000 }, async () => {
  const t = await startTestCore('completing', { adoptQueued: false });
  try {
    t.store.runs.insert(newRun('orphan', { ownerPid: 2 ** 22 + 12345, heartbeatAt: Date.now() - 120_000 }));
    assert.equal(t.core.runs.cancel('orphan').status, 'cancelled');
  } finally {
    await t.dispose();
  }
});
