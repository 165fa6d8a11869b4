/**
 * The resume rules live in the runs service, so an HTTP client gets them as the CLI does:
 * `runs.resume` refuses a start epoch other than the checkpoint's without changing anything,
 * and `runs.locate` resolves a recorded checkpoint file to its run.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../../../src-main/server/http-server.ts';
import { failRun, recordCheckpoint } from '../../fixtures/checkpoint-records.ts';
import { demoConfig } from '../../fixtures/run-records.ts';
import { startTestCore, type TestCore } from '../../fixtures/test-core.ts';

let t: TestCore;
let server: RunningServer;

before(async () => {
  t = await startTestCore('completing');
  server = await startServer({ handlers: t.core.handlers, bus: t.core.bus, port: 0, bodyLimitBytes: 64 * 1024, diagnostics: () => {} });
});

after(async () => {
  await server.close();
  await t.dispose();
});

interface Answer {
  ok: boolean;
  result?: unknown;
  error?: { code: string; message: string; issues?: { path: string; message: string }[] };
}

async function call(method: string, body: unknown): Promise<{ status: number; body: Answer }> {
  const res = await fetch(`${server.origin}/api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Answer };
}

test('runs.resume over HTTP refuses a start epoch that is not the checkpoint epoch, then resumes with the right one', { timeout: 60_000 }, async () => {
  const created = await call('runs.create', { config: demoConfig({ epochs: 3, batchSize: 4 }) });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const id = (created.body.result as { id: string }).id;
  await t.core.runs.whenEnded(id);
  failRun(t, id);
  const latest = recordCheckpoint(t, id, 2, 8);

  const refused = await call('runs.resume', { id, startEpoch: 0 });
  assert.equal(refused.status, 400);
  assert.equal(refused.body.error?.code, 'invalid_input');
  const issue = refused.body.error?.issues?.find((i) => i.path === 'startEpoch');
  assert.ok(issue, JSON.stringify(refused.body));
  assert.equal(
    issue.message.split('. ')[0],
    `startEpoch 0: this run continues at epoch 2 (its checkpoint ${latest.path} was saved after epoch 2); startEpoch is accepted only when it is that epoch`,
  );
  const unchanged = await call('runs.get', { id });
  assert.equal((unchanged.body.result as { status: string }).status, 'failed', 'a refused resume changes nothing');

  const located = await call('runs.locate', { ref: latest.path });
  assert.deepEqual(located.body, { ok: true, result: { runId: id, checkpointId: latest.id } });
  assert.deepEqual((await call('runs.locate', { ref: `${latest.path}.nothing` })).body, { ok: true, result: null });

  const resumed = await call('runs.resume', { id, checkpointId: latest.id, startEpoch: 2 });
  assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
  const ended = await t.core.runs.whenEnded(id);
  assert.equal(ended.status, 'completed');
  assert.equal(ended.epochsDone, 3);
});

test('runs.resume over HTTP: a run without any checkpoint continues at epoch 0 only', { timeout: 60_000 }, async () => {
  const created = await call('runs.create', { config: demoConfig({ epochs: 1, batchSize: 4, name: 'no checkpoint' }) });
  const id = (created.body.result as { id: string }).id;
  await t.core.runs.whenEnded(id);
  for (const c of t.store.checkpoints.list(id)) t.store.db.prepare('DELETE FROM checkpoints WHERE id = ?').run(c.id);
  failRun(t, id);
  const refused = await call('runs.resume', { id, startEpoch: 1 });
  assert.equal(refused.status, 400);
  assert.match(refused.body.error?.message ?? '', /startEpoch 1: this run continues at epoch 0 \(it has no checkpoint yet, so it starts over at epoch 0\)/);
  const resumed = await call('runs.resume', { id, startEpoch: 0 });
  assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
  assert.equal((await t.core.runs.whenEnded(id)).status, 'completed');
});
