/** `snca train --sweep` and `--on CLUSTER`: runs.submit from the command line, with fake training workers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../../../src-main/cli/program.ts';
import { recordingContext } from '../../fixtures/cli-context.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';
import { fakeWorker } from '../../fixtures/workers/fake-workers.ts';

test('train --sweep queues one run per combination here, follows each to its end, tags them with the sweep', { timeout: 120_000 }, async () => {
  const tmp = makeTempDir();
  try {
    const ctx = recordingContext({ home: tmp.dir, workerEntry: fakeWorker('completing') });
    const code = await runCli(['train', '--preset', 'mnist-demo', '--epochs', '1', '--name', 'sw', '--sweep', 'seed=1,2', '--sweep', 'lr=0.1,0.05'], ctx);
    assert.equal(code, 0, ctx.err());
    assert.match(ctx.out(), /^Sweep [0-9a-z]{15} of 4 runs on this machine/);
    const json = recordingContext({ home: tmp.dir });
    assert.equal(await runCli(['runs', '--json'], json), 0);
    const runs = JSON.parse(json.out()) as { name: string; status: string; tags?: string[] }[];
    assert.deepEqual(runs.map((r) => r.name).sort(), ['sw [seed=1 lr=0.05]', 'sw [seed=1 lr=0.1]', 'sw [seed=2 lr=0.05]', 'sw [seed=2 lr=0.1]']);
    assert.ok(runs.every((r) => r.status === 'completed'), JSON.stringify(runs.map((r) => r.status)));
  } finally {
    tmp.cleanup();
  }
});

test('train refuses Slurm resources without --on, an unknown cluster and a malformed sweep, starting nothing', async () => {
  const tmp = makeTempDir();
  try {
    const cases: Array<[string[], RegExp]> = [
      [['--gpus', '2'], /--partition, --gpus, --time and --auto-resubmit are Slurm settings: they go with --on CLUSTER; nothing was started/],
      [['--auto-resubmit', '2'], /--auto-resubmit are Slurm settings: they go with --on CLUSTER/],
      [['--on', 'nowhere'], /Cluster "nowhere" was not found/],
      [['--sweep', 'lr'], /lr: expected PATH=V1,V2,… .*nothing was started/],
      [['--sweep', 'nosuchfield=1,2'], /sweep: --sweep nosuchfield: not a field of the run config/],
    ];
    for (const [extra, expected] of cases) {
      const ctx = recordingContext({ home: tmp.dir, workerEntry: fakeWorker('completing') });
      assert.equal(await runCli(['train', '--preset', 'mnist-demo', ...extra], ctx), 1, extra.join(' '));
      assert.match(ctx.err(), expected);
    }
    const json = recordingContext({ home: tmp.dir });
    assert.equal(await runCli(['runs', '--json'], json), 0);
    assert.deepEqual(JSON.parse(json.out()), []);
  } finally {
    tmp.cleanup();
  }
});
