/**
 * RunsService owns the rules of creating a run: every caller (IPC, HTTP, the CLI, another
 * service) that reaches `runs.create` gets the config and dataset checks, with nothing stored
 * when one fails.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ApiError } from '../../../shared/api-error.ts';
import { findPreset, RunConfigSchema } from '../../../shared/run-config.ts';
import { demoConfig } from '../../fixtures/run-records.ts';
import { startTestCore, type TestCore } from '../../fixtures/test-core.ts';

let t: TestCore;
before(async () => {
  t = await startTestCore('completing');
});
after(async () => {
  await t.dispose();
});

test('RunsService.create itself refuses a missing dataset folder, naming config.dataset.root; nothing stored or published', async () => {
  const missing = join(t.home, 'no-cifar-here');
  const config = RunConfigSchema.parse({ ...findPreset('cifar10-paper')!.config, dataset: { kind: 'cifar10', root: missing }, epochs: 1 });
  const events = t.events.length;
  await assert.rejects(
    () => t.core.runs.create(config),
    (e: unknown) =>
      e instanceof ApiError &&
      e.code === 'invalid_input' &&
      e.issues?.length === 1 &&
      e.issues[0]!.path === 'config.dataset.root' &&
      e.issues[0]!.message.includes(missing),
  );
  assert.deepEqual(t.core.runs.list().runs, []);
  assert.equal(t.events.length, events);
});

test('Core.call goes through the dispatch: the contract validates the input and names the field', async () => {
  const bad = { ...demoConfig(), batchSize: 0 };
  await assert.rejects(
    () => t.core.call('runs.create', { config: bad }),
    (e: unknown) =>
      e instanceof ApiError &&
      e.code === 'invalid_input' &&
      /^Invalid input of runs\.create: config\.batchSize: /.test(e.message) &&
      e.issues?.[0]?.path === 'config.batchSize',
  );
  // A method the contract does not know is refused like on the wire.
  await assert.rejects(
    () => t.core.call('runs.nope' as 'runs.list', {}),
    (e: unknown) => e instanceof ApiError && e.code === 'not_found' && e.message === 'Unknown API method "runs.nope"',
  );
  const created = await t.core.call('runs.create', { config: demoConfig({ name: 'through call', epochs: 1, batchSize: 10 }) });
  assert.equal(created.name, 'through call');
  const ended = await t.core.runs.whenEnded(created.id);
  assert.equal(ended.status, 'completed');
  assert.deepEqual((await t.core.call('runs.list', {})).runs.map((r) => r.id), [created.id]);
});
