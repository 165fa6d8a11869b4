/** The tar reader on hostile headers: sizes that are not numbers, negative sizes, oversized long-name and pax bodies. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ArchiveError, MAX_META_BODY_BYTES, extractTarGz } from '../../../src-main/acquire/tar-extract.ts';
import { tarEntry } from '../engine/data/cifar-fixtures.ts';

const tmp = mkdtempSync(join(tmpdir(), 'snca-tar-hostile-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A ustar header whose size field holds `sizeField` verbatim, with a correct checksum. */
function header(name: string, type: string, sizeField: Buffer): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 'utf8');
  h.write('0000644\0', 100, 'ascii');
  h.write('0000000\0', 108, 'ascii');
  h.write('0000000\0', 116, 'ascii');
  sizeField.copy(h, 124, 0, 12);
  h.write('14524770400\0', 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(type, 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return h;
}

let n = 0;
async function extract(tarBytes: Buffer): Promise<{ error: unknown; ms: number; dest: string }> {
  const path = join(tmp, `a${n}.tar.gz`);
  const dest = join(tmp, `out${n++}`);
  mkdirSync(dest);
  writeFileSync(path, gzipSync(tarBytes));
  const t0 = performance.now();
  const error = await extractTarGz(path, dest).then(() => null, (e: unknown) => e);
  return { error, ms: performance.now() - t0, dest };
}

const END = Buffer.alloc(1024);

test('a size field that is not an octal number is refused at once, naming the header offset', { timeout: 10_000 }, async () => {
  const first = tarEntry('ok.txt', Buffer.from('hello'));
  const { error, ms } = await extract(Buffer.concat([first, header('evil', '0', Buffer.from('zzzzzzzzzzz\0')), Buffer.alloc(512), END]));
  assert.ok(error instanceof ArchiveError, String(error));
  assert.match(error.message, new RegExp(`bad size field in the tar header at byte ${first.length} \\('zzzzzzzzzzz\\?'`));
  assert.ok(ms < 1000, `${ms} ms`);
});

test('a negative size (octal with a sign, or GNU base-256 with the sign bit) is refused', { timeout: 10_000 }, async () => {
  for (const field of [Buffer.from('-0000000010\0'), Buffer.concat([Buffer.from([0xff]), Buffer.alloc(11, 0xff)])]) {
    const { error } = await extract(Buffer.concat([header('neg', '0', field), Buffer.alloc(512), END]));
    assert.ok(error instanceof ArchiveError, String(error));
    assert.match(error.message, /bad size field in the tar header at byte 0/);
  }
  // A positive base-256 size still reads.
  const positive = Buffer.alloc(12);
  positive[0] = 0x80;
  positive[11] = 5;
  const { error, dest } = await extract(Buffer.concat([header('five.txt', '0', positive), Buffer.from('12345'), Buffer.alloc(507), END]));
  assert.equal(error, null);
  assert.equal(readFileSync(join(dest, 'five.txt'), 'utf8'), '12345');
});

test('GNU long-name and pax bodies over the limit are refused before any of them is buffered', { timeout: 10_000 }, async () => {
  const declared = (bytes: number) => Buffer.from(`${bytes.toString(8).padStart(11, '0')}\0`);
  for (const [type, what] of [['L', 'GNU long-name'], ['x', 'pax']] as const) {
    const big = 512 * 1024 * 1024;
    const { error, ms } = await extract(Buffer.concat([header('././@LongLink', type, declared(big)), Buffer.alloc(64 * 1024, 0x61), END]));
    assert.ok(error instanceof ArchiveError, String(error));
    assert.equal(error.message, `${join(tmp, `a${n - 1}.tar.gz`)}: ${what} header at byte 0 declares ${big} bytes; more than ${MAX_META_BODY_BYTES} is refused`);
    assert.ok(ms < 1000, `${ms} ms`);
  }
  // A long name of ordinary length still works.
  const longName = `${'d'.repeat(150)}/file.txt`;
  const { error, dest } = await extract(Buffer.concat([tarEntry(longName, Buffer.from('x')), END]));
  assert.equal(error, null);
  assert.equal(readFileSync(join(dest, longName), 'utf8'), 'x');
});
