import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { resolveWorkerEntry, sourceWorkerEntry } from '../../../src-main/workers/worker-entry.ts';

test('resolveWorkerEntry finds the train worker from the sources and refuses unknown names', () => {
  const entry = resolveWorkerEntry('train-worker');
  assert.ok(entry.url.href.startsWith('data:text/javascript,') || entry.url.href.endsWith('/train-worker.js'));
  assert.throws(() => resolveWorkerEntry('no-such-worker'), /was not found.*npm run build/);
  assert.throws(() => resolveWorkerEntry('../escape'), /Invalid worker name/);
});

test('a TypeScript worker entry actually runs in a worker_thread', async () => {
  const entry = sourceWorkerEntry(new URL('../../fixtures/workers/silent-exit-worker.ts', import.meta.url));
  const w = new Worker(entry.url, {
    execArgv: entry.execArgv,
    workerData: { runId: 'r', runDir: '/tmp/none', config: (await import('../../fixtures/run-records.ts')).demoConfig() },
  });
  const messages: { type: string }[] = [];
  w.on('message', (m: { type: string }) => messages.push(m));
  const code = await new Promise<number>((resolve) => w.on('exit', resolve));
  assert.equal(code, 0);
  assert.deepEqual(messages.map((m) => m.type), ['started', 'metrics']);
});
