/** The upload headers' parsers (shared/uploads.ts), on chosen cases and fuzzed with fast-check. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeUploadName, MAX_UPLOAD_NAME, parseContentLength, parseUploadName, UPLOAD_NAME_PATTERNS, uploadTooLarge } from '../../../shared/uploads.ts';

test('file names: decoded, plain names of the right kind only', () => {
  assert.deepEqual(parseUploadName(encodeUploadName('resnet50 (1).pth.tar'), 'model'), { ok: true, name: 'resnet50 (1).pth.tar' });
  assert.deepEqual(parseUploadName(encodeUploadName('Ölbild.JPG'), 'image'), { ok: true, name: 'Ölbild.JPG' });
  for (const [header, kind, wrongType] of [
    [undefined, 'image', false],
    ['', 'image', false],
    ['%E0%A4%A', 'image', false],
    [encodeUploadName('../x.png'), 'image', false],
    [encodeUploadName('a\\b.png'), 'image', false],
    [encodeUploadName('a\nb.png'), 'image', false],
    [encodeUploadName(`${'x'.repeat(MAX_UPLOAD_NAME)}.png`), 'image', false],
    [encodeUploadName('x.pth'), 'image', true],
    [encodeUploadName('x.png'), 'model', true],
  ] as const) {
    const r = parseUploadName(header, kind);
    assert.equal(r.ok, false, String(header));
    assert.equal(!r.ok && r.wrongType, wrongType, String(header));
  }
});

test('Content-Length: plain decimal safe integers only', () => {
  assert.equal(parseContentLength('0'), 0);
  assert.equal(parseContentLength(' 1234 '), 1234);
  for (const bad of [undefined, '', '-1', '1e3', '0x10', '12abc', '1.5', '99999999999999999']) assert.equal(parseContentLength(bad), null, String(bad));
  assert.equal(uploadTooLarge('a.png', 11, 'image', { image: 10, model: 100 }), 'a.png is 11 bytes; this server accepts images of up to 10 bytes.');
  assert.equal(uploadTooLarge('a.png', 10, 'image', { image: 10, model: 100 }), null);
});

test('fuzzed headers: the parsers never throw, and what they accept is safe', () => {
  let runs = 0;
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.constantFrom('%', '%2F', '%00a.png', '..', '%2e%2e', 'a%2Fb.pth')), fc.constantFrom('image' as const, 'model' as const), (header, kind) => {
      runs++;
      for (const h of [header, `${header}.png`, `${header}.pth`, encodeUploadName(header), encodeUploadName(`${header}.pth.tar`)]) {
        const r = parseUploadName(h, kind);
        if (!r.ok) continue;
        assert.ok(r.name.length >= 1 && r.name.length <= MAX_UPLOAD_NAME);
        assert.ok(!/[/\\\u0000-\u001f\u007f]/.test(r.name), `a plain name: ${JSON.stringify(r.name)}`);
        assert.ok(UPLOAD_NAME_PATTERNS[kind].test(r.name));
        assert.ok(r.name !== '.' && r.name !== '..');
      }
      const n = parseContentLength(header);
      if (n !== null) assert.ok(Number.isSafeInteger(n) && n >= 0 && String(n) === header.trim().replace(/^0+(?=\d)/, ''));
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (n) => {
      runs++;
      assert.equal(parseContentLength(String(n)), n);
    }),
    { numRuns: 500 },
  );
  console.log(`# fuzzed ${runs} header values`);
});
