/**
 * McNemar's exact test for two classifiers on the same images: of the discordant pairs
 * (one right, the other wrong) the count `b` where only A is right is, under the null
 * hypothesis of equal accuracy, Binomial(b + c, 1/2). Two-sided p = min(1, 2·P(X ≤ min(b, c))).
 * Summed in log space so that tens of thousands of discordant images neither overflow nor
 * underflow.
 */

export interface McNemarResult {
  /** Images only A classifies correctly. */
  onlyA: number;
  /** Images only B classifies correctly. */
  onlyB: number;
  pValue: number;
}

/** Two-sided exact p-value for `b` images won by A and `c` won by B. */
export function mcnemarExact(b: number, c: number): McNemarResult {
  if (!Number.isInteger(b) || !Number.isInteger(c) || b < 0 || c < 0) {
    throw new RangeError(`McNemar counts must be non-negative integers, got ${b} and ${c}`);
  }
  const n = b + c;
  const k = Math.min(b, c);
  if (n === 0 || 2 * k === n) return { onlyA: b, onlyB: c, pValue: 1 };
  // log P(X = i) = log C(n, i) - n log 2, built term by term; logsumexp over i = 0..k.
  const logHalfN = -n * Math.LN2;
  const terms: number[] = new Array(k + 1);
  let logC = 0;
  for (let i = 0; i <= k; i++) {
    terms[i] = logC + logHalfN;
    logC += Math.log(n - i) - Math.log(i + 1);
  }
  const top = Math.max(...terms);
  let sum = 0;
  for (const t of terms) sum += Math.exp(t - top);
  const tail = Math.exp(top + Math.log(sum));
  return { onlyA: b, onlyB: c, pValue: Math.min(1, 2 * tail) };
}

/** Paired counts from two per-image correctness vectors of the same length. */
export function discordantCounts(correctA: ArrayLike<boolean | number>, correctB: ArrayLike<boolean | number>): { onlyA: number; onlyB: number } {
  if (correctA.length !== correctB.length) {
    throw new RangeError(`McNemar needs the same images: ${correctA.length} vs ${correctB.length} results`);
  }
  let onlyA = 0;
  let onlyB = 0;
  for (let i = 0; i < correctA.length; i++) {
    const a = Boolean(correctA[i]);
    const b = Boolean(correctB[i]);
    if (a && !b) onlyA++;
    else if (b && !a) onlyB++;
  }
  return { onlyA, onlyB };
}
