/** `snca train --resume`: what is refused, and a checkpoint path resuming its own run (fake worker). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../../src-main/cli/program.ts';
import { openStore } from '../../../src-main/store/store.ts';
import { writeFileAtomic } from '../../../src-main/engine/checkpoint/atomic-file.ts';
import { CHECKPOINT_FORMAT } from '../../../src-main/engine/checkpoint/checkpoint-format.ts';
import { encodeSafetensors } from '../../../src-main/engine/checkpoint/safetensors.ts';
import { recordingContext } from '../../fixtures/cli-context.ts';
import { demoConfig } from '../../fixtures/run-records.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';
import { startTestCore } from '../../fixtures/test-core.ts';
import { fakeWorker } from '../../fixtures/workers/fake-workers.ts';

test('train refuses --start-epoch at or past --epochs; --resume refuses config flags, unknown targets and foreign checkpoint files; a recorded file resumes its run', { timeout: 60_000 }, async () => {
  const tmp = makeTempDir('snca-cli-resume-');
  const coreOptions = { home: tmp.dir, workerEntry: fakeWorker('completing') };
  try {
    const cli = async (...argv: string[]) => {
      const ctx = recordingContext(coreOptions);
      const code = await runCli(argv, ctx);
      return { code, out: ctx.out(), err: ctx.err() };
    };
    let r = await cli('train', '--start-epoch', '3', '--epochs', '3');
    assert.equal(r.code, 1);
    assert.match(r.err, /--start-epoch 3: must be below --epochs \(3\)/);
    r = await cli('train', '--resume', 'abc', '--epochs', '3');
    assert.equal(r.code, 1);
    assert.match(r.err, /--resume continues a run with its stored config; it cannot be combined with --epochs/);
    r = await cli('train', '--resume', 'no-such-run');
    assert.equal(r.code, 1);
    assert.match(r.err, /"no-such-run" is neither a run id of this database .* nor a checkpoint file/);
    const foreign = join(tmp.dir, 'foreign.safetensors');
    writeFileSync(foreign, 'x');
    r = await cli('train', '--resume', foreign);
    assert.equal(r.code, 1);
    assert.match(r.err, /foreign\.safetensors is not a checkpoint of any run in this database/);

    // A failed run with a real checkpoint file recorded.
    const t = await startTestCore('completing', { home: tmp.dir });
    const { core, store } = t;
    let id = '';
    let path = '';
    try {
      id = (await core.runs.create(demoConfig({ epochs: 2, batchSize: 3 }))).id;
      await core.runs.whenEnded(id);
      assert.ok(store.runs.transition(id, ['completed'], 'failed', { error: 'disk full' }));
      const config = store.runs.configJson(id)!;
      const w = writeFileAtomic(join(core.paths.checkpointsDir(id), 'epoch-0001.safetensors'), encodeSafetensors(
        new Map([['memory_bank', { dtype: 'F32' as const, shape: [1], data: new Float32Array(1) }]]),
        { format: CHECKPOINT_FORMAT, version: '1', arch: 'small-convnet', epoch: '1', step: '3', config, metrics: '{}' },
      ));
      path = w.path;
      store.checkpoints.record(id, { epoch: 1, kind: 'epoch', path, sha256: w.sha256, bytes: w.bytes, metrics: {} }, new Date().toISOString());
    } finally {
      await t.dispose();
    }
    r = await cli('train', '--resume', path);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`Resuming run ${id} .* after epoch 1/2`));
    assert.match(r.out, new RegExp(`Run ${id} completed`));
    const check = openStore(join(tmp.dir, 'snca.db'));
    try {
      const logs = check.logs.after(id, 0, 1000).map((l) => l.message);
      assert.ok(logs.some((m) => m.startsWith(`fake resume from ${path}`)), logs.join('\n'));
    } finally {
      check.close();
    }
  } finally {
    tmp.cleanup();
  }
});
