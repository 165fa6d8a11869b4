/**
 * Desktop smoke test of the real Electron app (run by scripts/test-desktop.mjs, which skips it
 * where Electron's binary is absent): the window opens under its CSP without Node in the page,
 * navigation away and window.open are blocked, and the demo trains one epoch to completion.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';

const root = new URL('../../', import.meta.url).pathname;
const home = mkdtempSync(join(tmpdir(), 'snca-desktop-'));
/** The page's globals used here (the main tsconfig has no DOM types). */
type PageGlobals = {
  require?: unknown;
  process?: unknown;
  location: { href: string };
  open(url: string): unknown;
  sncaBridge: { methods: Record<string, (input: unknown) => Promise<{ ok: boolean; result?: unknown; error?: { message: string } }>> };
};

let app: ElectronApplication;
let page: Page;

before(async () => {
  const executablePath = process.env.SNCA_ELECTRON_BINARY;
  assert.ok(executablePath, 'run through npm run test:desktop');
  app = await _electron.launch({ executablePath, args: [root], env: { ...process.env, SNCA_HOME: home } as Record<string, string>, timeout: 60_000 });
  page = await app.firstWindow();
  await page.waitForLoadState('domcontentloaded');
});

after(async () => {
  await app?.close();
  rmSync(home, { recursive: true, force: true });
});

test('the window shows the app under a CSP, without require or process in the page', async () => {
  assert.match(page.url(), /^snca:\/\/app\//);
  const globals = await page.evaluate(() => ({ require: typeof (globalThis as unknown as PageGlobals).require, process: typeof (globalThis as unknown as PageGlobals).process }));
  assert.deepEqual(globals, { require: 'undefined', process: 'undefined' });
  const evalBlocked = await page.evaluate(() => {
    try {
      return (0, eval)('1') !== 1;
    } catch {
      return true;
    }
  });
  assert.ok(evalBlocked, "the CSP forbids eval (script-src 'self')");
});

test('navigation away and window.open are blocked', async () => {
  const before = page.url();
  await page.evaluate(() => {
    (globalThis as unknown as PageGlobals).location.href = 'https://example.org/';
  });
  await page.waitForTimeout(1000);
  assert.equal(page.url(), before);
  const opened = await page.evaluate(() => (globalThis as unknown as PageGlobals).open('https://example.org/') === null);
  assert.ok(opened, 'window.open returns null');
  await page.waitForTimeout(500);
  assert.equal(app.windows().length, 1);
});

test('the demo trains one epoch to completion through the preload bridge', { timeout: 240_000 }, async () => {
  const id = await page.evaluate(async () => {
    const bridge = (globalThis as unknown as PageGlobals).sncaBridge;
    const presets = (await bridge.methods['presets.list']!({})).result as { id: string; config: Record<string, unknown> }[];
    const demo = presets.find((p) => p.id === 'mnist-demo')!;
    const created = await bridge.methods['runs.create']!({ config: { ...demo.config, name: 'desktop smoke', epochs: 1 } });
    if (!created.ok) throw new Error(created.error?.message);
    return (created.result as { id: string }).id;
  });
  const deadline = Date.now() + 200_000;
  let status = '';
  while (Date.now() < deadline) {
    status = await page.evaluate(async (runId) => {
      const bridge = (globalThis as unknown as PageGlobals).sncaBridge;
      return ((await bridge.methods['runs.get']!({ id: runId })).result as { status: string }).status;
    }, id);
    if (status === 'completed' || status === 'failed') break;
    await page.waitForTimeout(1000);
  }
  assert.equal(status, 'completed');
});
