import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { contentSecurityPolicy, contentTypeOf, lookupRendererAsset, notBuiltPage } from '../../../src-main/server/renderer-assets.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';

function buildDir(): { dir: string; cleanup(): void } {
  const tmp = makeTempDir('snca-renderer-');
  mkdirSync(join(tmp.dir, 'renderer', 'assets'), { recursive: true });
  writeFileSync(join(tmp.dir, 'renderer', 'index.html'), '<html>app</html>');
  writeFileSync(join(tmp.dir, 'renderer', 'assets', 'main-abc123.js'), 'console.log(1)');
  writeFileSync(join(tmp.dir, 'renderer', 'favicon.svg'), '<svg/>');
  writeFileSync(join(tmp.dir, 'secret.txt'), 'outside');
  return { dir: join(tmp.dir, 'renderer'), cleanup: tmp.cleanup };
}

test('files, content types and caching', async () => {
  const b = buildDir();
  try {
    const js = await lookupRendererAsset(b.dir, '/assets/main-abc123.js');
    assert.equal(js.kind, 'file');
    assert.ok(js.kind === 'file' && js.contentType === 'text/javascript; charset=utf-8' && /immutable/.test(js.cacheControl));
    const svg = await lookupRendererAsset(b.dir, '/favicon.svg');
    assert.ok(svg.kind === 'file' && svg.contentType === 'image/svg+xml' && svg.cacheControl === 'no-cache');
    const root = await lookupRendererAsset(b.dir, '/');
    assert.ok(root.kind === 'file' && root.path.endsWith('index.html') && root.contentType.startsWith('text/html'));
    assert.equal(contentTypeOf('x.WASM'), 'application/wasm');
    assert.equal(contentTypeOf('x.unknown'), 'application/octet-stream');
  } finally {
    b.cleanup();
  }
});

test('SPA fallback for routes, 404 for missing assets, nothing outside the folder', async () => {
  const b = buildDir();
  try {
    const route = await lookupRendererAsset(b.dir, '/runs/abc');
    assert.ok(route.kind === 'file' && route.path.endsWith('index.html'));
    assert.equal((await lookupRendererAsset(b.dir, '/assets/missing.js')).kind, 'not-found');
    for (const evil of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..\\secret.txt', '/%00', '/%E0%A4%A']) {
      const r = await lookupRendererAsset(b.dir, evil);
      assert.ok(r.kind === 'not-found' || (r.kind === 'file' && r.path.endsWith('index.html')), `${evil} → ${JSON.stringify(r)}`);
    }
  } finally {
    b.cleanup();
  }
});

test('a missing build is reported, with a page telling to run npm run build', async () => {
  const tmp = makeTempDir();
  try {
    assert.equal((await lookupRendererAsset(join(tmp.dir, 'nope'), '/')).kind, 'not-built');
    assert.match(notBuiltPage('/x/dist/renderer'), /npm run build/);
  } finally {
    tmp.cleanup();
  }
});

test('the CSP forbids inline scripts, objects, framing; adds connect sources', () => {
  const csp = contentSecurityPolicy(['ws://127.0.0.1:4170']);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /object-src 'none'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.match(csp, /connect-src 'self' ws:\/\/127\.0\.0\.1:4170/);
  assert.doesNotMatch(csp, /unsafe-eval/);
});
