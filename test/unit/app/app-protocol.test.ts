import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAppProtocolHandler } from '../../../src-main/app/app-protocol.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';

test('serves the renderer on snca://app with CSP, SPA fallback and no escape from the folder', async () => {
  const tmp = makeTempDir();
  try {
    const dir = join(tmp.dir, 'renderer');
    mkdirSync(join(dir, 'assets'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), '<html>app</html>');
    writeFileSync(join(dir, 'assets', 'a-1.css'), 'body{}');
    writeFileSync(join(tmp.dir, 'secret'), 'no');
    const handle = createAppProtocolHandler(dir);
    const index = await handle(new Request('snca://app/index.html'));
    assert.equal(index.status, 200);
    assert.equal(await index.text(), '<html>app</html>');
    assert.match(index.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const css = await handle(new Request('snca://app/assets/a-1.css'));
    assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
    assert.equal(css.headers.get('content-security-policy'), null);
    assert.equal(await (await handle(new Request('snca://app/runs/abc'))).text(), '<html>app</html>');
    assert.equal((await handle(new Request('snca://app/%2e%2e/secret'))).status, 200, 'falls back to the app, not the file');
    assert.notEqual(await (await handle(new Request('snca://app/%2e%2e/secret'))).text(), 'no');
    assert.equal((await handle(new Request('snca://elsewhere/index.html'))).status, 404);
    const missing = await createAppProtocolHandler(join(tmp.dir, 'none'))(new Request('snca://app/'));
    assert.equal(missing.status, 503);
    assert.match(await missing.text(), /npm run build/);
  } finally {
    tmp.cleanup();
  }
});
