#!/usr/bin/env node
// Writes the app icons electron-builder.yml names into resources/: icon.png (512×512, Linux),
// icon.icns (macOS: PNG-coded ic08/ic09 entries) and icon.ico (Windows: PNG-coded 256/48/32/16
// entries), all drawn from one SVG. Run again after changing the drawing: node scripts/make-icons.mjs
import { writeFileSync, mkdirSync } from 'node:fs';
import sharp from 'sharp';

const out = new URL('../resources/', import.meta.url);
mkdirSync(out, { recursive: true });

// Neighbourhood dots around a centre point: the NCA picture, on a rounded square.
const dots = [
  [256, 256, 46, '#f5f7fa'],
  [150, 170, 26, '#7fb3ff'],
  [360, 160, 26, '#7fb3ff'],
  [380, 330, 26, '#ffb86b'],
  [170, 360, 26, '#7fb3ff'],
  [260, 110, 18, '#ffb86b'],
];
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 512 512">
  <rect x="24" y="24" width="464" height="464" rx="96" fill="#1f2a44"/>
  ${dots.slice(1).map(([x, y]) => `<line x1="256" y1="256" x2="${x}" y2="${y}" stroke="#5a6b8c" stroke-width="10"/>`).join('')}
  ${dots.map(([x, y, r, c]) => `<circle cx="${x}" cy="${y}" r="${r}" fill="${c}"/>`).join('')}
</svg>`;

const png = (size) => sharp(Buffer.from(svg)).resize(size, size).png({ compressionLevel: 9, palette: true }).toBuffer();

const p512 = await png(512);
const p256 = await png(256);
writeFileSync(new URL('icon.png', out), p512);

// ICNS: 'icns' + total length, then (type, length incl. 8-byte entry header, PNG data).
const icnsEntries = [['ic08', p256], ['ic09', p512]].map(([type, data]) => {
  const head = Buffer.alloc(8);
  head.write(type, 0, 'latin1');
  head.writeUInt32BE(data.length + 8, 4);
  return Buffer.concat([head, data]);
});
const icnsHead = Buffer.alloc(8);
icnsHead.write('icns', 0, 'latin1');
icnsHead.writeUInt32BE(8 + icnsEntries.reduce((n, e) => n + e.length, 0), 4);
writeFileSync(new URL('icon.icns', out), Buffer.concat([icnsHead, ...icnsEntries]));

// ICO: ICONDIR (reserved 0, type 1, count), 16-byte entries, then PNG images (Vista+ reads PNG entries).
const icoSizes = [256, 48, 32, 16];
const icoImages = await Promise.all(icoSizes.map(png));
const dir = Buffer.alloc(6);
dir.writeUInt16LE(0, 0);
dir.writeUInt16LE(1, 2);
dir.writeUInt16LE(icoSizes.length, 4);
let offset = 6 + 16 * icoSizes.length;
const entries = icoSizes.map((size, i) => {
  const e = Buffer.alloc(16);
  e.writeUInt8(size === 256 ? 0 : size, 0);
  e.writeUInt8(size === 256 ? 0 : size, 1);
  e.writeUInt16LE(1, 4); // colour planes
  e.writeUInt16LE(32, 6); // bits per pixel
  e.writeUInt32LE(icoImages[i].length, 8);
  e.writeUInt32LE(offset, 12);
  offset += icoImages[i].length;
  return e;
});
writeFileSync(new URL('icon.ico', out), Buffer.concat([dir, ...entries, ...icoImages]));
console.log('resources/icon.png, icon.icns, icon.ico written');
