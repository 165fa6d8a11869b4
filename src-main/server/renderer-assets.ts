/**
 * The built renderer as HTTP resources, for serve mode's HTTP server and for the Electron
 * shell's snca:// protocol (app/app-protocol.ts), which answers with the same HTTP rules:
 * safe path resolution (nothing outside the folder), content types, long caching for Vite's
 * hashed assets, SPA fallback to index.html, the page shown when the renderer was never
 * built, and the Content-Security-Policy both shells send. Where the files are is core's
 * knowledge (core/package-root.ts).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export type AssetLookup =
  | { kind: 'file'; path: string; contentType: string; cacheControl: string; size: number }
  | { kind: 'not-built'; rendererDir: string }
  | { kind: 'not-found' };

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

/** Maps a URL pathname (still percent-encoded) to a file of the renderer build. */
export async function lookupRendererAsset(rendererDir: string, urlPathname: string): Promise<AssetLookup> {
  const root = path.resolve(rendererDir);
  const index = path.join(root, 'index.html');
  if (!(await isFile(index))) return { kind: 'not-built', rendererDir: root };
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPathname);
  } catch {
    return { kind: 'not-found' };
  }
  if (decoded.includes('\0')) return { kind: 'not-found' };
  // Normalise as a URL path first ("/a/../../b" → "/b"), then map into the folder.
  const relative = path.posix.normalize(`/${decoded.replace(/\\/g, '/')}`).slice(1);
  const full = path.resolve(root, relative);
  if (full !== root && !full.startsWith(root + path.sep)) return { kind: 'not-found' };
  const target = full === root ? index : full;
  const size = await fileSize(target);
  if (size !== null) {
    const hashed = relative.startsWith('assets/');
    return { kind: 'file', path: target, contentType: contentTypeOf(target), cacheControl: hashed ? IMMUTABLE : REVALIDATE, size };
  }
  // Client-side routes (no extension, or .html) get the app; a missing asset stays a 404.
  const ext = path.posix.extname(relative);
  if (ext === '' || ext === '.html') {
    const indexSize = (await fileSize(index)) ?? 0;
    return { kind: 'file', path: index, contentType: CONTENT_TYPES['.html']!, cacheControl: REVALIDATE, size: indexSize };
  }
  return { kind: 'not-found' };
}

async function fileSize(p: string): Promise<number | null> {
  try {
    const s = await stat(p);
    return s.isFile() ? s.size : null;
  } catch {
    return null;
  }
}

async function isFile(p: string): Promise<boolean> {
  return (await fileSize(p)) !== null;
}

/** Shown with HTTP 503 (serve mode) or in the window (Electron) when dist/renderer is missing. */
export function notBuiltPage(rendererDir: string): string {
  const dir = escapeHtml(rendererDir);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SNCA Studio — UI not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem}code{background:#8882;padding:0 .3em;border-radius:3px}</style>
</head><body>
<h1>The user interface is not built</h1>
<p>SNCA Studio could not find <code>${dir}/index.html</code>.</p>
<p>Run <code>npm run build</code> in the project folder, then reload this page. The API and the <code>snca</code> command line work without it.</p>
</body></html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The policy sent with every page. It matches the renderer's own <meta> CSP (both apply, so
 * the header must not be stricter in what the app needs) and adds what only a header can
 * carry (frame-ancestors). `connectSrc` lists the extra origins the page may reach.
 */
export function contentSecurityPolicy(connectSrc: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    // Vue and uPlot set inline style attributes.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    ["connect-src 'self'", ...connectSrc].join(' '),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
