/** The unpickler on hostile sizes: huge integers, millions of set items, and errors that name the file and offset. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_INT_STR_DIGITS, PickleError, PySet, unpickle } from '../../../src-main/acquire/safe-unpickler.ts';

const PROTO2 = [0x80, 0x02];
const STOP = 0x2e;

function long4(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + 5 + body.length + 1);
  out.set(PROTO2);
  out[2] = 0x8b;
  new DataView(out.buffer).setInt32(3, body.length, true);
  out.set(body, 7);
  out[out.length - 1] = STOP;
  return out;
}

test('a 1 MB LONG4 integer converts in linear time (well under a second), with the right value and sign', () => {
  const body = new Uint8Array(1024 * 1024).fill(0xab);
  body[body.length - 1] = 0x7f;
  const t0 = performance.now();
  const v = unpickle(long4(body), { source: 'big.pkl' });
  const ms = performance.now() - t0;
  assert.equal(typeof v, 'bigint');
  assert.equal((v as bigint) > 0n, true);
  assert.equal((v as bigint) & 0xffn, 0xabn);
  assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
  // Small values keep their exact two's-complement meaning.
  assert.equal(unpickle(long4(Uint8Array.of(0xff))), -1);
  assert.equal(unpickle(long4(Uint8Array.of(0x00, 0x80))), -32768);
  assert.equal(unpickle(long4(Uint8Array.of(0xff, 0x00))), 255);
  assert.equal(unpickle(long4(new Uint8Array(0))), 0);
  assert.equal(unpickle(long4(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 1]))), 1n << 64n);
});

test('text INT/LONG literals past CPython\'s 4300-digit limit are refused before conversion', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const ok = '9'.repeat(MAX_INT_STR_DIGITS);
  assert.equal(unpickle(enc(`L${ok}L\n.`)), BigInt(ok));
  const t0 = performance.now();
  assert.throws(
    () => unpickle(enc(`L${'9'.repeat(1_000_000)}L\n.`), { source: 'digits.pkl' }),
    (e: unknown) => e instanceof PickleError && e.source === 'digits.pkl' && e.offset === 0 && /exceeds the limit \(4300 digits\)/.test(e.message),
  );
  assert.throws(() => unpickle(enc(`I${'1'.repeat(5000)}\n.`)), /INT literal of 5000 characters exceeds the limit/);
  assert.ok(performance.now() - t0 < 1000);
});

test('ADDITEMS with 3 million items does not overflow the call stack', () => {
  const n = 3_000_000;
  // PROTO 4, EMPTY_SET, MARK, NONE × n, ADDITEMS, STOP
  const data = new Uint8Array(2 + 2 + n + 2);
  data.set([0x80, 0x04, 0x8f, 0x28]);
  data.fill(0x4e, 4, 4 + n);
  data[4 + n] = 0x90;
  data[5 + n] = STOP;
  const v = unpickle(data, { source: 'set.pkl' });
  assert.ok(v instanceof PySet);
  assert.equal(v.items.length, n);
});

test('every error names the file and the byte offset of the opcode, whatever its cause', () => {
  const cases: [number[], RegExp, number][] = [
    [[...PROTO2, 0x8b, 0xff, 0xff, 0xff, 0xff, STOP], /negative LONG4 length/, 2],
    [[...PROTO2, 0x8b, 0x00, 0x00, 0x10, 0x00, STOP], /truncated/, 2],
    [[...PROTO2, 0x4e, 0x28, 0x90], /ADDITEMS on/, 4],
    [[...PROTO2, 0x29, 0x52, STOP], /stack underflow/, 3],
  ];
  for (const [bytes, problem, offset] of cases) {
    assert.throws(
      () => unpickle(Uint8Array.from(bytes), { source: '/data/evil.pkl' }),
      (e: unknown) => e instanceof PickleError && problem.test(e.problem) && e.offset === offset && e.message.startsWith('/data/evil.pkl: ') && e.message.endsWith(`(pickle byte ${offset})`),
      problem.source,
    );
  }
});
