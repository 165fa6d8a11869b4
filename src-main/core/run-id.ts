/**
 * Run ids: 15 characters of lowercase Crockford base32 (url-safe, no ambiguous letters),
 * 9 for the creation time in milliseconds and 6 random, so ids sort by creation time as
 * plain strings. Within one process ids are strictly increasing even in the same millisecond.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const TIME_CHARS = 9; // 45 bits of milliseconds: good until the year 3084
const RANDOM_CHARS = 6; // 30 bits
const RANDOM_SPACE = 2 ** (5 * RANDOM_CHARS);

function encode(n: number, width: number): string {
  let out = '';
  for (let i = 0; i < width; i++) {
    out = ALPHABET[n % 32]! + out;
    n = Math.floor(n / 32);
  }
  return out;
}

export type RunIdGenerator = () => string;

export function createRunIdGenerator(
  now: () => number = Date.now,
  random: () => number = () => randomBytes(4).readUInt32BE(0) % RANDOM_SPACE,
): RunIdGenerator {
  let lastTime = -1;
  let lastRandom = 0;
  return () => {
    let t = Math.max(0, Math.floor(now()));
    let r: number;
    if (t <= lastTime) {
      // Same (or an earlier, clock stepped back) millisecond: continue from the previous id.
      t = lastTime;
      r = lastRandom + 1;
      if (r >= RANDOM_SPACE) {
        t += 1;
        r = 0;
      }
    } else {
      r = random();
    }
    lastTime = t;
    lastRandom = r;
    return encode(t, TIME_CHARS) + encode(r, RANDOM_CHARS);
  };
}

export const newRunId: RunIdGenerator = createRunIdGenerator();
