/** `snca runs --where QUERY`: the query language of the app, errors naming the column. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../../../src-main/cli/program.ts';
import { dataPaths } from '../../../src-main/core/data-home.ts';
import { openStore } from '../../../src-main/store/store.ts';
import { recordingContext } from '../../fixtures/cli-context.ts';
import { demoConfig, newRun } from '../../fixtures/run-records.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';

test('snca runs --where filters with the runs query language; a bad query exits 2 naming the column and suggestions', async () => {
  const tmp = makeTempDir();
  try {
    const paths = dataPaths(tmp.dir);
    const store = openStore(paths.database);
    for (const [id, lr, knn] of [['slow', 0.01, 0.8], ['fast', 0.1, 0.95], ['mid', 0.05, 0.91]] as const) {
      store.runs.insert(newRun(id, { name: id, configJson: JSON.stringify(demoConfig({ lr, name: id })) }));
      store.runs.transition(id, ['queued'], 'completed');
      store.metrics.insert(id, [{ key: 'knn_top1', step: 1, epoch: 1, value: knn, wallTime: 1 }]);
    }
    store.runs.updateDetails('fast', { tags: ['baseline'] });
    store.close();

    const ok = recordingContext({ home: tmp.dir });
    assert.equal(await runCli(['runs', '--json', '--where', 'knn_top1 > 0.9 and lr >= 0.05'], ok), 0);
    const rows = JSON.parse(ok.out()) as { id: string }[];
    assert.deepEqual(rows.map((r) => r.id).sort(), ['fast', 'mid']);

    const tagged = recordingContext({ home: tmp.dir });
    assert.equal(await runCli(['runs', '--where', 'tag:baseline'], tagged), 0);
    assert.match(tagged.out(), /^ID\s+NAME/);
    assert.match(tagged.out(), /fast/);
    assert.doesNotMatch(tagged.out(), /slow|mid/);

    const none = recordingContext({ home: tmp.dir });
    assert.equal(await runCli(['runs', '--where', 'knn_top1 > 0.99'], none), 0);
    assert.equal(none.out(), 'No runs match the query.\n');

    const bad = recordingContext({ home: tmp.dir });
    assert.equal(await runCli(['runs', '--where', 'knn_tpo1 > 0.9'], bad), 2);
    assert.match(bad.err(), /unknown field "knn_tpo1" at column 1 \(did you mean knn_top1/);
    assert.equal(bad.out(), '');
  } finally {
    tmp.cleanup();
  }
});

test('snca runs lists every run, newest first, through as many runs.list pages as it takes', async () => {
  const tmp = makeTempDir();
  try {
    const store = openStore(dataPaths(tmp.dir).database);
    store.transaction(() => {
      for (let i = 0; i < 450; i++) {
        const id = `r${String(i).padStart(3, '0')}`;
        store.runs.insert(newRun(id, { name: id, createdAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString() }));
        // r007 stays queued: on the first page as an active run and in its place on the third.
        if (id !== 'r007') store.runs.transition(id, ['queued'], 'completed');
      }
    });
    store.close();
    const ctx = recordingContext({ home: tmp.dir });
    assert.equal(await runCli(['runs', '--json'], ctx), 0);
    const ids = (JSON.parse(ctx.out()) as { id: string }[]).map((r) => r.id);
    assert.equal(ids.length, 450);
    assert.equal(new Set(ids).size, 450, 'no run twice');
    assert.deepEqual([ids[0], ids[442], ids[449]], ['r449', 'r007', 'r000']);
  } finally {
    tmp.cleanup();
  }
});
