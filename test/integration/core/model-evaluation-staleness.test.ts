/**
 * A stored evaluation of an imported model is reused only while its image folder is as it
 * was: once train images move between classes (the bank rows' labels change), asking again
 * runs a new evaluation instead of answering the stale one. The old record stays as it was:
 * it is what the folder gave then.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCore } from '../../fixtures/test-core.ts';
import { writeImageFolderTree } from '../../fixtures/image-folder-tree.ts';
import { fixturePath } from '../../unit/acquire/torch-fixtures.ts';

test('an imported model\'s evaluation is not reused once its train folder changed', { timeout: 120_000 }, async () => {
  const t = await startTestCore('completing', { backend: 'wasm' });
  const data = mkdtempSync(join(tmpdir(), 'snca-eval-stale-'));
  try {
    await writeImageFolderTree(data, ['ant', 'bee', 'cat'], { train: 8, val: 1 }, 24);
    const job = await t.core.call('models.import', { path: fixturePath('imagenet-resnet18-w4.legacy.pth.tar'), name: 'r18' });
    const modelId = (await t.core.models.whenImportEnded(job.jobId))!.modelId!;
    await t.core.call('models.update', { id: modelId, trainFolder: join(data, 'train') });
    const evaluate = () => t.core.call('evaluations.create', { model: modelId, k: 5 });
    const first = await evaluate();
    const done = await t.core.evaluations.whenDone(first.id);
    assert.equal(done.status, 'completed', done.error ?? '');
    const again = await evaluate();
    assert.deepEqual([again.id, again.reused], [first.id, true], 'unchanged folder: the stored result');

    await new Promise((r) => setTimeout(r, 20)); // a folder mtime after the evaluation's start
    renameSync(join(data, 'train', 'ant', '007.png'), join(data, 'train', 'bee', '008.png'));
    const fresh = await evaluate();
    assert.notEqual(fresh.id, first.id, 'a changed folder: evaluated again');
    assert.notEqual(fresh.reused, true);
    const old = t.store.evaluations.get(first.id)!;
    assert.deepEqual([old.status, old.top1], ['completed', done.top1], 'the earlier record is kept as it was');
    const freshDone = await t.core.evaluations.whenDone(fresh.id);
    assert.equal(freshDone.status, 'completed', freshDone.error ?? '');
    const last = await evaluate();
    assert.deepEqual([last.id, last.reused], [fresh.id, true], 'and that one is reused from then on');
  } finally {
    await t.dispose();
    rmSync(data, { recursive: true, force: true });
  }
});
