import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { EventEnvelope } from '../../../shared/api.ts';
import { demoConfig } from '../../fixtures/run-records.ts';
import { startTestCore } from '../../fixtures/test-core.ts';
import { waitFor } from '../../fixtures/wait-for.ts';
import { fakeWorker } from '../../fixtures/workers/fake-workers.ts';

const ofRun = (events: readonly EventEnvelope[], id: string) =>
  events.filter((e) => ('id' in e.payload && e.payload.id === id) || ('runId' in e.payload && e.payload.runId === id));

test('what a second core on the same folder stores reaches the first core’s bus as events within 2 s', { timeout: 60_000 }, async () => {
  const window = await startTestCore('completing', { changePollMs: 100 });
  const other = await startTestCore('completing', { home: window.home, adoptQueued: false });
  try {
    const created = Date.now();
    const { id } = await other.core.runs.create(demoConfig({ name: 'from the CLI', epochs: 2 }));
    await waitFor(() => window.events.find((e) => e.event === 'run.changed' && e.payload.id === id), 'run.changed of the other core’s run', 2000);
    const seenAfter = Date.now() - created;
    assert.ok(seenAfter < 2000, `seen after ${seenAfter} ms`);

    await other.core.runs.whenEnded(id);
    const ended = await waitFor(
      () => window.events.find((e) => e.event === 'run.changed' && e.payload.id === id && e.payload.status === 'completed'),
      'the completion',
      2000,
    );
    assert.equal(ended.event === 'run.changed' && ended.payload.epochsDone, 2);
    // the same points and log lines the owner published, each once
    const points = (es: readonly EventEnvelope[]) =>
      es.flatMap((e) => (e.event === 'run.metrics' ? e.payload.points.map((p) => `${p.key}@${p.step}=${p.value}`) : [])).sort();
    const logs = (es: readonly EventEnvelope[]) => es.flatMap((e) => (e.event === 'run.log' ? [e.payload.id] : []));
    const ownerPoints = points(ofRun(other.events, id).filter((e) => e.event === 'run.metrics'));
    await waitFor(() => points(ofRun(window.events, id)).length >= ownerPoints.length, 'every point', 2000);
    assert.ok(ownerPoints.length > 0);
    assert.deepEqual(points(ofRun(window.events, id)), ownerPoints);
    assert.deepEqual(logs(ofRun(window.events, id)), logs(ofRun(other.events, id)));
    assert.ok(logs(other.events).length > 0);

    // statuses in the order they were stored; the first core's summaries carry growing versions
    const changes = ofRun(window.events, id).flatMap((e) => (e.event === 'run.changed' ? [e.payload] : []));
    for (let i = 1; i < changes.length; i++) assert.ok(changes[i]!.version >= changes[i - 1]!.version);
    assert.equal(changes.at(-1)!.status, 'completed');

    // deletion reaches it as run.removed
    await other.core.handlers['runs.delete']({ id });
    await waitFor(() => window.events.find((e) => e.event === 'run.removed' && e.payload.id === id), 'run.removed', 2000);
  } finally {
    await other.dispose();
    await window.dispose();
  }
});

test('a core does not publish its own writes a second time while nobody else writes', { timeout: 30_000 }, async () => {
  const t = await startTestCore('completing', { changePollMs: 50 });
  try {
    const { id } = await t.core.runs.create(demoConfig({ epochs: 1 }));
    await t.core.runs.whenEnded(id);
    await new Promise((r) => setTimeout(r, 300));
    const logIds = t.events.flatMap((e) => (e.event === 'run.log' ? [e.payload.id] : []));
    assert.equal(new Set(logIds).size, logIds.length, 'each log line published once');
    const steps = t.events.flatMap((e) => (e.event === 'run.metrics' ? e.payload.points.map((p) => `${p.key}@${p.step}`) : []));
    assert.equal(new Set(steps).size, steps.length, 'each point published once');
  } finally {
    await t.dispose();
  }
});

test('a run created by another process shows up on this core’s bus within 2 s', { timeout: 60_000 }, async () => {
  const window = await startTestCore('completing', { changePollMs: 250 });
  const script = fileURLToPath(new URL('../../fixtures/core-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, window.home, fakeWorker('cancel-waiting').url.href], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  try {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (out += d));
    const id = await waitFor(() => /RUNNING (\S+)/.exec(out)?.[1], 'the child’s run running', 30_000);
    const announced = Date.now();
    await waitFor(() => window.events.find((e) => e.event === 'run.changed' && e.payload.id === id && e.payload.status === 'running'), 'run.changed running', 2000);
    await waitFor(() => window.events.find((e) => e.event === 'run.metrics' && e.payload.runId === id), 'run.metrics', 2000);
    assert.ok(Date.now() - announced < 2000);
    // cancelled from this side; the child's owner ends it and this core hears the end
    await window.core.handlers['runs.cancel']({ id });
    await waitFor(() => window.events.find((e) => e.event === 'run.changed' && e.payload.id === id && e.payload.status === 'cancelled'), 'cancelled', 10_000);
    await exited;
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await window.dispose();
  }
});
