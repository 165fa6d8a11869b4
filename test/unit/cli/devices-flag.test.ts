/**
 * `--devices` on the command line: `snca train --devices 1` pins the run to GPU 1 of the
 * devices found (fake ones here), an index no device has is refused naming the devices,
 * and a malformed list is refused by the option parser.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ComputeDevice } from '../../../shared/compute-devices.ts';
import { runCli } from '../../../src-main/cli/program.ts';
import { openStore } from '../../../src-main/store/store.ts';
import { recordingContext } from '../../fixtures/cli-context.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';
import { fakeWorker } from '../../fixtures/workers/fake-workers.ts';

const devices: ComputeDevice[] = [
  { route: 'webgpu', index: 0, name: 'Fake GPU A' },
  { route: 'webgpu', index: 1, name: 'Fake GPU B' },
];

test('snca train --devices: the run takes the chosen GPU; unknown or malformed indices are refused', { timeout: 60_000 }, async () => {
  const tmp = makeTempDir('snca-devices-cli-');
  try {
    const ctx = recordingContext({ home: tmp.dir, workerEntry: fakeWorker('completing'), devices });
    assert.equal(await runCli(['train', '--epochs', '1', '--batch-size', '4', '--devices', '1'], ctx), 0, ctx.err());
    const store = openStore(`${tmp.dir}/snca.db`);
    try {
      const [run] = store.runs.list();
      assert.ok(run);
      assert.ok(store.logs.after(run.id, 0, 100).some((l) => l.message === 'Device slot: webgpu:1 (Fake GPU B)'));
    } finally {
      store.close();
    }

    const bad = recordingContext({ home: tmp.dir, workerEntry: fakeWorker('completing'), devices });
    assert.equal(await runCli(['train', '--epochs', '1', '--devices', '0,7'], bad), 1);
    assert.match(bad.err(), /--devices: no device 7: the devices here are 0 \(Fake GPU A\), 1 \(Fake GPU B\)/);

    const malformed = recordingContext({ home: tmp.dir, devices });
    assert.notEqual(await runCli(['serve', '--devices', 'gpu1'], malformed), 0);
    assert.match(malformed.err(), /"gpu1" is not a device index/);
  } finally {
    tmp.cleanup();
  }
});
