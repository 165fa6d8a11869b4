/** electron-builder.yml: fuses, targets, unpacked native files and the icons it names, which must exist. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

const root = new URL('../../../', import.meta.url);
const yml = readFileSync(new URL('electron-builder.yml', root), 'utf8');

/** The indented `key: value` lines (or `- item` lines) under a top-level key. */
function block(key: string): string[] {
  const lines = yml.split('\n');
  const start = lines.findIndex((l) => l === `${key}:`);
  assert.ok(start >= 0, `no top-level ${key}:`);
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (!/^\s/.test(l)) break;
    out.push(l.trim());
  }
  return out;
}
const entries = (key: string) => Object.fromEntries(block(key).map((l) => l.split(/:\s*/, 2) as [string, string]));

test('Electron fuses: no RunAsNode, no NODE_OPTIONS, no --inspect, cookie encryption, asar integrity, app only from asar', () => {
  assert.deepEqual(entries('electronFuses'), {
    runAsNode: 'false',
    enableNodeOptionsEnvironmentVariable: 'false',
    enableNodeCliInspectArguments: 'false',
    enableCookieEncryption: 'true',
    enableEmbeddedAsarIntegrityValidation: 'true',
    onlyLoadAppFromAsar: 'true',
    grantFileProtocolExtraPrivileges: 'false',
  });
  assert.match(yml, /^asar: true$/m);
});

test('targets: AppImage and deb, dmg, nsis; .node and .wasm unpacked from the asar', () => {
  assert.equal(entries('linux').target, '[AppImage, deb]');
  assert.equal(entries('mac').target, '[dmg]');
  assert.equal(entries('win').target, '[nsis]');
  const unpack = block('asarUnpack');
  for (const pattern of ['- "**/*.node"', '- "**/*.wasm"']) assert.ok(unpack.includes(pattern), pattern);
});

test('every icon it names exists in resources/ as the right format, and npm run dist packages', () => {
  const magic: Record<string, (b: Buffer) => boolean> = {
    png: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
    icns: (b) => b.subarray(0, 4).toString('latin1') === 'icns' && b.readUInt32BE(4) === b.length,
    ico: (b) => b.readUInt16LE(0) === 0 && b.readUInt16LE(2) === 1 && b.readUInt16LE(4) > 0,
  };
  const named = [...yml.matchAll(/^\s+icon: (\S+)$/gm)].map((m) => m[1]!);
  assert.deepEqual(named.sort(), ['resources/icon.icns', 'resources/icon.ico', 'resources/icon.png']);
  for (const path of named) {
    const url = new URL(path, root);
    assert.ok(existsSync(url), path);
    const data = readFileSync(url);
    assert.ok(magic[path.split('.').pop()!]!(data), `${path} is not a valid ${path.split('.').pop()}`);
    assert.ok(data.length < 64 * 1024, `${path} is ${data.length} bytes`);
  }
  assert.match(entries('directories').buildResources, /^resources$/);
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> };
  assert.match(pkg.scripts.dist ?? '', /scripts\/build\.mjs && .*electron-builder.* --config electron-builder\.yml/);
});
