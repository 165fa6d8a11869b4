/**
 * E2E helpers: build the renderer when its sources are newer than dist/renderer, start the
 * real serve mode (SNCA_HOME in a temp folder, a free port; fakes only for what cannot run
 * offline), launch Debian's Chromium through playwright-core, open the tokened URL, keep
 * screenshots in test/artifacts/.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { MethodInput, MethodName, MethodOutput } from '../../shared/api.ts';
import type { FakeWorker } from '../fixtures/workers/fake-workers.ts';

export const REPO = resolve(import.meta.dirname, '../..');
export const RENDERER_DIST = join(REPO, 'dist/renderer');
export const ARTIFACTS = join(REPO, 'test/artifacts');

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/** Debian's chromium (or CHROMIUM_PATH); null when there is none (tests then skip, saying so). */
export function findChromium(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean) as string[];
  return candidates.find((p) => existsSync(p)) ?? null;
}

/** Why the browser tests cannot run here, or null when they can. */
export function e2eSkipReason(): string | null {
  return findChromium() ? null : 'no Chromium at /usr/bin/chromium (apt-get install -y chromium, or set CHROMIUM_PATH)';
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const p = join(dir, name);
    const st = statSync(p);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(p) : st.mtimeMs);
  }
  return newest;
}

/** Runs the renderer build when dist/renderer is missing or older than src-renderer/ or shared/. */
export function ensureRendererBuilt(): void {
  const index = join(RENDERER_DIST, 'index.html');
  const sources = Math.max(newestMtime(join(REPO, 'src-renderer')), newestMtime(join(REPO, 'shared')));
  if (!process.env.SNCA_E2E_REBUILD && existsSync(index) && statSync(index).mtimeMs >= sources) return;
  const r = spawnSync(process.execPath, [join(REPO, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'src-renderer/vite.config.ts', '--logLevel', 'warn'], {
    cwd: REPO,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`renderer build failed:\n${r.stdout}\n${r.stderr}`);
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

export interface ServeMode {
  /** `http://127.0.0.1:PORT/?token=…` as the server printed it. */
  appUrl: string;
  /** Which command started it (see serveCommand). */
  via: string;
  home: string;
  /** Everything the server printed (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/** What a test replaces in serve mode because the real thing cannot run here. */
export interface ServeFakes {
  /** A fake training worker (test/fixtures/workers) instead of the real trainer. */
  worker?: FakeWorker;
  /** Where CIFAR archives are downloaded from, and their md5 (a local server instead of the official site). */
  cifar?: { url: string; md5: string };
}

/**
 * How serve mode is started. With fakes: the launcher beside this file, which runs the CLI's
 * `snca serve` in-process with those fakes in its core options. Without: SNCA_SERVE_CMD (a
 * JSON array; `--port N` is appended) when set, else the package's bin `snca serve` when
 * bin/snca.js exists, else the launcher.
 */
export function serveCommand(port: number, fakes?: ServeFakes): { argv: string[]; via: string } {
  const launcher = join(REPO, 'test/e2e/serve-mode-process.ts');
  const launch = (extra: string[]) => ({ argv: [process.execPath, '--import', 'tsx', launcher, '--port', String(port), ...extra], via: 'test/e2e/serve-mode-process.ts' });
  if (fakes) {
    return launch([
      ...(fakes.worker ? ['--fake-worker', fakes.worker] : []),
      ...(fakes.cifar ? ['--cifar-url', fakes.cifar.url, '--cifar-md5', fakes.cifar.md5] : []),
    ]);
  }
  if (process.env.SNCA_SERVE_CMD) {
    return { argv: [...(JSON.parse(process.env.SNCA_SERVE_CMD) as string[]), '--port', String(port)], via: 'SNCA_SERVE_CMD' };
  }
  const bin = join(REPO, 'bin/snca.js');
  if (existsSync(bin) && !process.env.SNCA_E2E_NO_CLI) {
    return { argv: [process.execPath, bin, 'serve', '--host', '127.0.0.1', '--port', String(port)], via: 'bin/snca.js serve' };
  }
  return launch([]);
}

const TOKEN_URL = /(http:\/\/127\.0\.0\.1:\d+\/?\?token=[A-Za-z0-9_-]+)/;

export interface ServeModeOptions {
  timeoutMs?: number;
  env?: Record<string, string>;
  fakes?: ServeFakes;
  /** Fills the fresh data folder before the server opens it (runs left by earlier sessions). */
  prepareHome?: (home: string) => Promise<void>;
}

/** Starts the real serve mode with a fresh SNCA_HOME and waits for it to print its URL. */
export async function startServeMode(options: ServeModeOptions = {}): Promise<ServeMode> {
  const home = mkdtempSync(join(tmpdir(), 'snca-e2e-home-'));
  try {
    await options.prepareHome?.(home);
  } catch (err) {
    rmSync(home, { recursive: true, force: true });
    throw err;
  }
  const port = await freePort();
  const { argv, via } = serveCommand(port, options.fakes);
  const [cmd, ...args] = argv;
  const child: ChildProcess = spawn(cmd, args, {
    cwd: REPO,
    env: { ...process.env, SNCA_HOME: home, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const urlPromise = new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`serve mode printed no tokened URL within ${options.timeoutMs ?? 60000} ms:\n${out}`)), options.timeoutMs ?? 60_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = TOKEN_URL.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      rej(new Error(`serve mode exited with ${code} before printing its URL:\n${out}`));
    });
  });
  let url: string;
  try {
    url = await urlPromise;
  } catch (err) {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
    throw err;
  }
  return {
    appUrl: url,
    via,
    home,
    output: () => out,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** One contract call over serve mode's HTTP API with its token, as any client makes it; rejects with the error's message. */
export async function callServeMode<M extends MethodName>(serve: Pick<ServeMode, 'appUrl'>, method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
  const url = new URL(serve.appUrl);
  const res = await fetch(new URL(`/api/${method}`, url.origin), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${url.searchParams.get('token')}` },
    body: JSON.stringify(input),
  });
  const body = (await res.json()) as { ok: true; result: MethodOutput<M> } | { ok: false; error: { message: string } };
  if (!body.ok) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error(e2eSkipReason()!);
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}

export interface OpenedApp {
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far (CSP violations land here too). */
  errors: string[];
}

export interface OpenAppOptions {
  colorScheme?: 'light' | 'dark';
  width?: number;
  height?: number;
}

export async function openApp(browser: Browser, url: string, options: OpenAppOptions = {}): Promise<OpenedApp> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 860 },
    colorScheme: options.colorScheme ?? 'light',
    deviceScaleFactor: 1,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  return { context, page, errors };
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}

/** The serve mode and Chromium one test file (or describe block) shares; see useServeModePage. */
export interface ServeModePage {
  /** The reason the browser tests cannot run here, else false: the `skip` option of the tests or describe block. */
  readonly skip: string | false;
  /** The running serve mode (from the `before` hook on). */
  readonly serve: ServeMode;
  readonly browser: Browser;
  /** Opens the app in a new browser context, at the tokened URL unless `url` says otherwise; browser.close() ends the contexts left open. */
  open(options?: OpenAppOptions & { url?: string }): Promise<OpenedApp>;
  /** A contract call over this serve mode's HTTP API (callServeMode). */
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
}

/**
 * Registers, in the calling scope (a file or a describe block), the hooks that build the
 * renderer, start the real serve mode with `options` (or what `options()` resolves to, for
 * options that need something started first) and launch Chromium before its tests, and stop
 * both after them. Does nothing where there is no Chromium (`skip` says why). At a file's top
 * level Node 20 starts `before` hooks without waiting for one another: preparation that needs
 * the server goes in a describe block's `before` or at the start of the tests.
 */
export function useServeModePage(options: ServeModeOptions | (() => Promise<ServeModeOptions>) = {}): ServeModePage {
  const skip = e2eSkipReason() ?? false;
  let serve: ServeMode | undefined;
  let browser: Browser | undefined;
  before(async () => {
    if (skip) return;
    ensureRendererBuilt();
    serve = await startServeMode(typeof options === 'function' ? await options() : options);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await serve?.stop();
  });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not started: use it inside the tests of the scope that called useServeModePage`);
    return value;
  };
  return {
    skip,
    get serve() {
      return started(serve, 'serve mode');
    },
    get browser() {
      return started(browser, 'Chromium');
    },
    open(opts = {}) {
      const { url, ...rest } = opts;
      return openApp(started(browser, 'Chromium'), url ?? started(serve, 'serve mode').appUrl, rest);
    },
    call(method, input) {
      return callServeMode(started(serve, 'serve mode'), method, input);
    },
  };
}
