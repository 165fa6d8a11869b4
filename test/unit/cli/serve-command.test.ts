import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../../../src-main/cli/program.ts';
import { recordingContext } from '../../fixtures/cli-context.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';

test('snca serve prints one line with the URL, answers with the token, takes uploads up to --max-model-upload, and stops on Ctrl-C', { timeout: 60_000 }, async () => {
  const tmp = makeTempDir();
  try {
    const ctx = recordingContext({ home: tmp.dir });
    const done = runCli(['serve', '--port', '0', '--max-model-upload', '2', '--reason', 'Electron is not installed (optional dependency skipped)'], ctx);
    const deadline = Date.now() + 10_000;
    let url: string | undefined;
    while (!(url = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(ctx.out())?.[1])) {
      if (Date.now() > deadline) throw new Error(`no URL printed: ${ctx.out()} ${ctx.err()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(ctx.out().split('\n').filter(Boolean).length, 1);
    assert.match(ctx.out(), /^Electron is not installed \(optional dependency skipped\) — serving the UI at http/);
    const u = new URL(url);
    const res = await fetch(`${u.origin}/api/system.info`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${u.searchParams.get('token')}`, 'Content-Type': 'application/json' },
      body: '{}',
    });
    const body = (await res.json()) as { ok: boolean; result: { shell: string; dataHome: string } };
    assert.equal(body.result.shell, 'serve');
    assert.equal(body.result.dataHome, tmp.dir);
    const headers = { Authorization: `Bearer ${u.searchParams.get('token')}`, 'Content-Type': 'application/json' };
    const limits = (await (await fetch(`${u.origin}/api/uploads.limits`, { method: 'POST', headers, body: '{}' })).json()) as { result: { model: number } };
    assert.equal(limits.result.model, 2 * 1024 * 1024);
    const big = await fetch(`${u.origin}/uploads/model`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/octet-stream', 'x-snca-file-name': 'm.pth' }, body: new Blob([new Uint8Array(2 * 1024 * 1024 + 1)]) });
    assert.equal(big.status, 413, 'the upload route is served, with the limit given');
    ctx.interrupt();
    assert.equal(await done, 0);
    await assert.rejects(fetch(`${u.origin}/`), 'the server is closed');
  } finally {
    tmp.cleanup();
  }
});

test('an explicitly requested port that is taken is an error (exit 1) with advice', { timeout: 60_000 }, async () => {
  const tmp = makeTempDir();
  const { createServer } = await import('node:net');
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  try {
    const port = (blocker.address() as { port: number }).port;
    const ctx = recordingContext({ home: tmp.dir });
    assert.equal(await runCli(['serve', '--port', String(port)], ctx), 1);
    assert.match(ctx.err(), new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is already in use; pass --port 0`));
  } finally {
    blocker.close();
    tmp.cleanup();
  }
});
