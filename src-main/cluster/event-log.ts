/**
 * The append-only event log a cluster job writes into its run folder on the shared
 * filesystem: one JSON object per line, `{"seq":N,"event":FromWorker}`, the same messages a
 * local training worker posts. No inbound connection to the user's machine is needed: the
 * app reads the log by byte offset (directly, or over ssh) and ingests what is new.
 *
 * Reading is incremental and bounded: only complete lines (ending in "\n") are consumed, so a
 * line the job is still writing is read next time; a line longer than MAX_LINE_BYTES, bad
 * JSON, or an event the schema refuses is an EventLogError naming the file and byte offset.
 */
import { appendFileSync, closeSync, fsyncSync, openSync } from 'node:fs';
import { z } from 'zod';
import { describeIssues, issuesOf } from '../../shared/validation.ts';
import { FromWorkerSchema, type FromWorker } from '../workers/train-protocol.ts';

/** A metrics batch of an epoch stays far below this; anything longer is not ours. */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;

export const EventLogLineSchema = z.object({
  seq: z.int().min(0),
  event: FromWorkerSchema,
});
export type EventLogLine = z.infer<typeof EventLogLineSchema>;

export class EventLogError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    reason: string,
  ) {
    super(`${file}: byte ${offset}: ${reason}`);
    this.name = 'EventLogError';
  }
}

export interface EventLogChunk {
  lines: EventLogLine[];
  /** Offset just past the last complete line consumed: where the next read starts. */
  nextOffset: number;
}

/**
 * Parses the complete lines of `bytes`, which were read from `file` starting at `offset`.
 * A trailing partial line is left for the next read, unless it is already too long to be valid.
 */
export function parseEventLogChunk(bytes: Uint8Array, offset: number, file: string): EventLogChunk {
  const lines: EventLogLine[] = [];
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  for (;;) {
    const nl = bytes.indexOf(0x0a, start);
    if (nl < 0) break;
    if (nl - start > MAX_LINE_BYTES) throw new EventLogError(file, offset + start, `a line of ${nl - start} bytes is longer than ${MAX_LINE_BYTES}`);
    const at = offset + start;
    const raw = bytes.subarray(start, nl);
    start = nl + 1;
    if (raw.length === 0) continue;
    let text: string;
    try {
      text = decoder.decode(raw);
    } catch {
      throw new EventLogError(file, at, 'the line is not valid UTF-8');
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new EventLogError(file, at, `the line is not JSON (${err instanceof Error ? err.message : String(err)})`);
    }
    const parsed = EventLogLineSchema.safeParse(json);
    if (!parsed.success) throw new EventLogError(file, at, `not an event: ${describeIssues(issuesOf(parsed.error))}`);
    lines.push(parsed.data);
  }
  if (bytes.length - start > MAX_LINE_BYTES) {
    throw new EventLogError(file, offset + start, `an unterminated line of over ${MAX_LINE_BYTES} bytes`);
  }
  return { lines, nextOffset: offset + start };
}

/** Appends events to the log in one write, then fsyncs, so a reader never sees half a batch's line. */
export class EventLogWriter {
  private seq = 0;

  constructor(
    readonly path: string,
    /** The seq of the first event this writer appends (a resumed job continues the numbering). */
    firstSeq = 0,
  ) {
    this.seq = firstSeq;
  }

  append(events: readonly FromWorker[]): void {
    if (events.length === 0) return;
    const text = events.map((event) => `${JSON.stringify({ seq: this.seq++, event })}\n`).join('');
    appendFileSync(this.path, text);
    const fd = openSync(this.path, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  get nextSeq(): number {
    return this.seq;
  }
}
