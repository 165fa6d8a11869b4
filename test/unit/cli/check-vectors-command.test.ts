import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../../src-main/cli/program.ts';
import { recordingContext } from '../../fixtures/cli-context.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';

test('check-vectors: unreadable or invalid files fail with exit 1 and a message naming the file', { timeout: 60_000 }, async () => {
  const tmp = makeTempDir();
  try {
    const bad = join(tmp.dir, 'bad.json');
    writeFileSync(bad, '{"format": "something else"}');
    const ctx = recordingContext({ home: tmp.dir });
    const code = await runCli(['check-vectors', '--backend', 'cpu', join(tmp.dir, 'missing.json'), bad], ctx);
    assert.equal(code, 1);
    assert.match(ctx.err(), /missing\.json/);
    assert.match(ctx.err(), /bad\.json is not a valid snca-vectors file/);
  } finally {
    tmp.cleanup();
  }
});
