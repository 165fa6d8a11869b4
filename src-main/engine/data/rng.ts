/**
 * Seedable PRNG (xoshiro128**) whose whole state is four uint32 words, so a checkpoint can
 * store it as JSON and a resumed run continues the exact same stream.
 *
 * Augmentation does not share one stream across samples: each sample gets its own
 * generator derived from (seed, epoch, index). A sample's crop and flips then depend only
 * on which sample it is and in which epoch, never on which worker thread handled it or
 * in which order batches completed, so any number of workers gives identical batches.
 */

export interface RngState {
  readonly algorithm: 'xoshiro128**';
  readonly words: readonly [number, number, number, number];
}

const TWO_POW_32 = 4294967296;

/** Domain separation: the same (seed, epoch) must give unrelated shuffle and augmentation streams. */
const STREAM_SHUFFLE = 0x5348_5546; // "SHUF"
const STREAM_SAMPLE = 0x5341_4d50; // "SAMP"

/** Murmur3's 32-bit finaliser: a bijection with full avalanche, used to spread seeds. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85eb_ca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2_ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes integer words (each reduced to uint32, plus the high part for large integers) into one uint32. */
export function hashWords(words: readonly number[]): number {
  let h = 0x9e37_79b9;
  for (const w of words) {
    const lo = w >>> 0;
    const hi = Math.floor(w / TWO_POW_32) >>> 0;
    h = fmix32((h ^ lo) + 0x7f4a_7c15);
    h = fmix32((h ^ hi) + 0x6a09_e667);
  }
  return h;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  private constructor(words: readonly number[]) {
    this.s0 = words[0] >>> 0;
    this.s1 = words[1] >>> 0;
    this.s2 = words[2] >>> 0;
    this.s3 = words[3] >>> 0;
    // xoshiro's all-zero state is a fixed point.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A generator seeded from any list of integers (e.g. [seed, epoch, index]). */
  static fromSeed(...parts: number[]): Rng {
    for (const p of parts) {
      if (!Number.isSafeInteger(p)) throw new RangeError(`Rng seed parts must be safe integers, got ${p}`);
    }
    // splitmix-style expansion of one hash into four well-mixed words.
    let x = hashWords(parts);
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e37_79b9) >>> 0;
      words.push(fmix32(x ^ Math.imul(i + 1, 0x2545_f491)));
    }
    return new Rng(words);
  }

  static fromState(state: RngState): Rng {
    if (state.algorithm !== 'xoshiro128**' || state.words.length !== 4) {
      throw new TypeError(`Unsupported RNG state: expected xoshiro128** with 4 words, got ${JSON.stringify(state)}`);
    }
    for (const w of state.words) {
      if (!Number.isInteger(w) || w < 0 || w >= TWO_POW_32) throw new TypeError(`RNG state word out of range: ${w}`);
    }
    return new Rng(state.words);
  }

  getState(): RngState {
    return { algorithm: 'xoshiro128**', words: [this.s0, this.s1, this.s2, this.s3] };
  }

  /** Next uint32. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    return result;
  }

  /** Uniform in [0, 1) with 53 bits of resolution. */
  float(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [lo, hi) (torch's `uniform_`). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.float();
  }

  /** Unbiased integer in [0, n) for 1 <= n <= 2^32. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) throw new RangeError(`Rng.int needs an integer n in [1, 2^32], got ${n}`);
    if (n === 1) return 0;
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** True with probability p (torchvision's `torch.rand(1) < p`). */
  bernoulli(p: number): boolean {
    return this.float() < p;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    this.shuffleInPlace(out);
    return out;
  }

  shuffleInPlace(a: Int32Array | number[]): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}

/** The generator of one sample's augmentation in one epoch. */
export function sampleRng(seed: number, epoch: number, index: number): Rng {
  return Rng.fromSeed(STREAM_SAMPLE, seed, epoch, index);
}

/** The generator of an epoch's shuffling. */
export function epochRng(seed: number, epoch: number): Rng {
  return Rng.fromSeed(STREAM_SHUFFLE, seed, epoch);
}

/** The order in which an epoch visits `items` (a permutation of them, deterministic in (seed, epoch)). */
export function epochOrder(items: Int32Array, seed: number, epoch: number): Int32Array {
  const order = Int32Array.from(items);
  epochRng(seed, epoch).shuffleInPlace(order);
  return order;
}
