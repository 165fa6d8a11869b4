/**
 * The CLI is one more client of the contract: its calls go through the same dispatch as IPC
 * and HTTP, so an input the contract refuses gets the contract's validation message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../../../src-main/cli/program.ts';
import { recordingContext } from '../../fixtures/cli-context.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';

test('an input the contract refuses gets the validation message the transports give, exit 1', { timeout: 60_000 }, async () => {
  const tmp = makeTempDir('snca-cli-contract-');
  try {
    const exportBad = recordingContext({ home: tmp.dir });
    assert.equal(await runCli(['runs', 'export', 'bad id!'], exportBad), 1);
    assert.equal(exportBad.err(), 'error: Invalid input of runs.export: id: a run id is 1–64 letters, digits, _ or -\n');
    assert.equal(exportBad.out(), '');

    const evalZero = recordingContext({ home: tmp.dir });
    assert.equal(await runCli(['eval', '0'], evalZero), 1);
    assert.equal(evalZero.err(), 'error: Invalid input of evaluations.create: checkpointId: Too small: expected number to be >=1\n');

    // A well-formed id that names no run reaches the service, which answers not found.
    const missing = recordingContext({ home: tmp.dir });
    assert.equal(await runCli(['runs', 'export', 'nosuch'], missing), 1);
    assert.equal(missing.err(), 'error: Run nosuch was not found\n');
  } finally {
    tmp.cleanup();
  }
});
