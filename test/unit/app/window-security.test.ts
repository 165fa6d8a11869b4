import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { NavigableContentsLike, PreventableEvent, WindowOpenDecision } from '../../../src-main/app/electron-like.ts';
import { hardenContents, hardenSession, isAppUrl, isSafeExternalUrl, mainWindowOptions } from '../../../src-main/app/window-security.ts';

test('the window is isolated, sandboxed, without Node, with our preload', () => {
  const o = mainWindowOptions('/x/preload.cjs');
  assert.equal(o.webPreferences.preload, '/x/preload.cjs');
  assert.equal(o.webPreferences.contextIsolation, true);
  assert.equal(o.webPreferences.sandbox, true);
  assert.equal(o.webPreferences.nodeIntegration, false);
  assert.equal(o.webPreferences.nodeIntegrationInWorker, false);
  assert.equal(o.webPreferences.webSecurity, true);
  assert.equal(o.webPreferences.webviewTag, false);
});

test('app and external URL classification', () => {
  assert.ok(isAppUrl('snca://app/index.html'));
  assert.ok(isAppUrl('snca://app/runs/x'));
  assert.equal(isAppUrl('snca://other/index.html'), false);
  assert.equal(isAppUrl('file:///etc/passwd'), false);
  assert.equal(isAppUrl(undefined), false);
  assert.ok(isSafeExternalUrl('https://arxiv.org/abs/1808.04699'));
  assert.ok(isSafeExternalUrl('mailto:a@b.c'));
  for (const bad of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'snca://app/x', 'not a url']) assert.equal(isSafeExternalUrl(bad), false, bad);
});

class FakeContents implements NavigableContentsLike {
  openHandler: ((d: { url: string }) => WindowOpenDecision) | null = null;
  readonly listeners = new Map<string, (e: PreventableEvent, url?: string) => void>();
  setWindowOpenHandler(h: (d: { url: string }) => WindowOpenDecision): void {
    this.openHandler = h;
  }
  on(event: string, listener: (e: PreventableEvent, url?: string) => void): void {
    this.listeners.set(event, listener);
  }
  navigate(event: string, url: string): boolean {
    let prevented = false;
    this.listeners.get(event)!({ preventDefault: () => (prevented = true), url }, url);
    return prevented;
  }
}

test('new windows are denied (web links go to the browser); navigation away from the app is blocked; no webviews', () => {
  const c = new FakeContents();
  const opened: string[] = [];
  hardenContents(c, (u) => opened.push(u));
  assert.deepEqual(c.openHandler!({ url: 'https://example.org/' }), { action: 'deny' });
  assert.deepEqual(c.openHandler!({ url: 'file:///etc/passwd' }), { action: 'deny' });
  assert.equal(c.navigate('will-navigate', 'snca://app/runs'), false);
  assert.equal(c.navigate('will-navigate', 'https://evil.example/'), true);
  assert.equal(c.navigate('will-redirect', 'file:///home'), true);
  assert.equal(c.navigate('will-attach-webview', ''), true);
  assert.equal(c.navigate('will-frame-navigate', 'https://evil.example/frame'), true, 'a frame navigating away');
  assert.equal(c.navigate('will-frame-navigate', 'snca://app/index.html'), false);
  assert.deepEqual(opened, ['https://example.org/', 'https://evil.example/', 'https://evil.example/frame']);
});

test('electron is imported only by the entry files, and only at run time', () => {
  const dir = fileURLToPath(new URL('../../../src-main/app/', import.meta.url));
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(dir + file, 'utf8');
    assert.doesNotMatch(text, /from ['"]electron['"]/, `${file} imports electron statically`);
    if (/require\(['"]electron['"]\)|import\(ELECTRON\)/.test(text)) assert.ok(['preload.ts', 'electron-main.ts'].includes(file), file);
  }
  for (const layer of ['core', 'server', 'store', 'cli']) {
    const d = fileURLToPath(new URL(`../../../src-main/${layer}/`, import.meta.url));
    for (const file of readdirSync(d, { recursive: true }).map(String).filter((f) => f.endsWith('.ts'))) {
      assert.doesNotMatch(readFileSync(d + file, 'utf8'), /(from|import\(|require\()\s*['"]electron['"]/, `${layer}/${file} imports electron`);
    }
  }
});

test('the session denies permission requests and permission checks', () => {
  let request: ((c: unknown, p: string, cb: (g: boolean) => void) => void) | null = null;
  let check: ((c: unknown, p: string) => boolean) | null = null;
  hardenSession({ setPermissionRequestHandler: (h) => (request = h), setPermissionCheckHandler: (h) => (check = h) });
  for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
    let granted: boolean | null = null;
    request!(null, permission, (g) => (granted = g));
    assert.equal(granted, false, permission);
    assert.equal(check!(null, permission), false, permission);
  }
});
