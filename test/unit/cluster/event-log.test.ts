import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventLogError, EventLogWriter, MAX_LINE_BYTES, parseEventLogChunk } from '../../../src-main/cluster/event-log.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';

const enc = new TextEncoder();

test('the writer appends numbered lines; the reader takes complete lines and leaves a partial one for next time', () => {
  const tmp = makeTempDir();
  try {
    const path = join(tmp.dir, 'events.jsonl');
    const w = new EventLogWriter(path);
    w.append([
      { type: 'log', level: 'info', message: 'hello' },
      { type: 'metrics', points: [{ key: 'loss', step: 1, epoch: 0, value: 2.5, wallTime: 1 }] },
    ]);
    const bytes = new Uint8Array(readFileSync(path));
    // Cut the file in the middle of the second line: only the first is read.
    const firstEnd = bytes.indexOf(0x0a) + 1;
    const cut = parseEventLogChunk(bytes.subarray(0, firstEnd + 10), 0, path);
    assert.equal(cut.lines.length, 1);
    assert.equal(cut.nextOffset, firstEnd);
    const rest = parseEventLogChunk(bytes.subarray(cut.nextOffset), cut.nextOffset, path);
    assert.deepEqual(rest.lines.map((l) => [l.seq, l.event.type]), [[1, 'metrics']]);
    assert.equal(rest.nextOffset, bytes.length);
    // A resumed writer continues the numbering.
    const w2 = new EventLogWriter(path, w.nextSeq);
    w2.append([{ type: 'done', status: 'completed' }]);
    const all = parseEventLogChunk(new Uint8Array(readFileSync(path)), 0, path);
    assert.deepEqual(all.lines.map((l) => l.seq), [0, 1, 2]);
  } finally {
    tmp.cleanup();
  }
});

test('bad lines are refused with the file and the byte offset of the line', () => {
  const good = '{"seq":0,"event":{"type":"log","level":"info","message":"a"}}\n';
  const cases: Array<[string, RegExp]> = [
    ['{not json}\n', /not JSON/],
    ['{"seq":1,"event":{"type":"launch-missiles"}}\n', /not an event/],
    ['{"seq":-1,"event":{"type":"done","status":"completed"}}\n', /not an event: seq/],
  ];
  for (const [bad, why] of cases) {
    assert.throws(
      () => parseEventLogChunk(enc.encode(good + bad), 100, 'events.jsonl'),
      (err: unknown) => err instanceof EventLogError && err.offset === 100 + good.length && why.test(err.message) && err.message.startsWith(`events.jsonl: byte ${100 + good.length}:`),
    );
  }
  const invalidUtf8 = new Uint8Array([0xff, 0xfe, 0x0a]);
  assert.throws(() => parseEventLogChunk(invalidUtf8, 0, 'f'), /byte 0: the line is not valid UTF-8/);
});

test('an unterminated line longer than the bound is an error, not an endless wait', () => {
  const huge = new Uint8Array(MAX_LINE_BYTES + 10).fill(0x61);
  assert.throws(() => parseEventLogChunk(huge, 5, 'f'), /f: byte 5: an unterminated line of over/);
});
