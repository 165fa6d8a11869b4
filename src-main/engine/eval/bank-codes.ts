/**
 * The int8 codes of a feature bank and of queries, with the error bounds that make a search
 * over the codes exact (bank-search.ts).
 *
 * A row x (float32) is stored as x̂ = s·c: c int8 in [−127, 127], s = max|x|/127 rounded to
 * float32 (one scale per row, so banks that are not L2-normalised keep their precision too).
 * With it go two float32 numbers, each rounded up: r ≥ ||x − x̂|| and m ≥ ||x̂||. A query q
 * is coded the same way (q̂ = t·c_q, the codes kept as int16 for the kernel's products), with
 * a = ||q|| and e = ||q − q̂||. Then, for the exact inner product q·x,
 *
 *   |q·x − q̂·x̂| = |q·(x − x̂) + (q − q̂)·x̂| ≤ a·r + e·m        (Cauchy–Schwarz, twice)
 *
 * and q̂·x̂ = t·s·(c_q·c) with c_q·c an exact int32. The kernel evaluates t·s·(c_q·c) and the
 * bound α·r + β·m + γ in float32; each of its few roundings is a relative error below 2^−23,
 * and the float64 similarity the search returns differs from q·x by less than dim·2^−53·a·||x||.
 * Both are covered by widening the bound: α = a·(1 + 1e−5), β = e + 1e−5·(a + e), which adds at
 * least 1e−5·(a + e)·m ≥ 1e−5·|q̂·x̂| — hundreds of times those roundings — and γ, an absolute
 * 1e−30 for float32 results that fall into the subnormal range.
 *
 * Rows the bound cannot cover are "irregular": a non-finite value, or one above 1e15 (whose
 * products could overflow float32). They get zero codes and r = NaN (so the kernel never
 * writes them out) and the search compares them exactly, always. A query like that is
 * searched exactly against every row.
 */

/** Values whose magnitude is above this make a row or query irregular (see above). */
export const MAX_REGULAR_MAGNITUDE = 1e15;
/** Relative widening of the bound (see above). */
const WIDEN = 1e-5;
/** Absolute widening of the bound, for subnormal float32 results. */
const GAMMA = 1e-30;
/**
 * float32 rounding up of a non-negative float64: float32 rounds by at most 2^−24 of the value
 * (the factor adds 2^−20), or by half a subnormal step (2^−149 is a whole one).
 */
const roundUp = (v: number): number => Math.fround(v * (1 + 2 ** -20) + 2 ** -149);

/** Codes are stored `stride` bytes apart: the dimension rounded up to the kernel's 16 lanes. */
export function codeStride(dim: number): number {
  return Math.ceil(dim / 16) * 16;
}

/** A row's scale, r and m (see above); r is NaN for an irregular row. */
export interface RowCode {
  scale: number;
  res: number;
  norm: number;
}

/**
 * Codes the `dim` values of `block` from `from` into `codes` from `at` (the stride's bytes
 * past `dim` must be 0) and returns the row's scale, r and m; irregular rows get zero codes
 * and r = NaN. Offsets rather than subarrays: a bank has a million rows.
 */
export function codeRow(block: Float32Array, from: number, dim: number, codes: Int8Array, at: number): RowCode {
  let max = 0;
  let sumSq = 0;
  const end = from + dim;
  for (let d = from; d < end; d++) {
    const v = block[d]!;
    const a = v < 0 ? -v : v;
    if (a > max) max = a;
    sumSq += v * v;
  }
  // NaN and ±Infinity make sumSq NaN or Infinity.
  if (!(sumSq < Infinity) || max > MAX_REGULAR_MAGNITUDE) {
    codes.fill(0, at, at + dim);
    return { scale: 0, res: NaN, norm: 0 };
  }
  const scale = Math.fround(max / 127);
  if (scale === 0) {
    codes.fill(0, at, at + dim);
    return { scale: 0, res: roundUp(Math.sqrt(sumSq)), norm: 0 };
  }
  const inv = 1 / scale;
  let resSq = 0;
  let normSq = 0;
  for (let d = 0; d < dim; d++) {
    const v = block[from + d]!;
    let c = Math.round(v * inv);
    if (c > 127) c = 127;
    else if (c < -127) c = -127;
    codes[at + d] = c;
    const back = c * scale;
    resSq += (v - back) * (v - back);
    normSq += back * back;
  }
  return { scale, res: roundUp(Math.sqrt(resSq)), norm: roundUp(Math.sqrt(normSq)) };
}

/** What the kernel needs of one query: its int16 codes and the five float32 parameters. */
export interface QueryCode {
  /** false: the query has a value the bound cannot cover; search it exactly against every row. */
  regular: boolean;
  /** sq, alpha, beta, gamma (threshold is the search's). */
  scale: number;
  alpha: number;
  beta: number;
  gamma: number;
}

/** Codes query `q` into `codes` (int16, zero past q.length) and returns its parameters. */
export function codeQuery(q: Float32Array, codes: Int16Array): QueryCode {
  let max = 0;
  let sumSq = 0;
  for (let d = 0; d < q.length; d++) {
    const v = q[d]!;
    const a = v < 0 ? -v : v;
    if (a > max) max = a;
    sumSq += v * v;
  }
  codes.fill(0);
  if (!(sumSq < Infinity) || max > MAX_REGULAR_MAGNITUDE) return { regular: false, scale: 0, alpha: 0, beta: 0, gamma: 0 };
  // A zero query has similarity exactly 0 with every regular row: no bound at all, so that
  // the k lowest rows (the ties' order) are found without comparing every row.
  if (max === 0) return { regular: true, scale: 0, alpha: 0, beta: 0, gamma: 0 };
  // A subnormal query may have scale 0: its codes stay 0 and e = a.
  const scale = Math.fround(max / 127);
  const inv = scale === 0 ? 0 : 1 / scale;
  const a = Math.sqrt(sumSq);
  let errSq = 0;
  for (let d = 0; d < q.length; d++) {
    const v = q[d]!;
    let c = Math.round(v * inv);
    if (c > 127) c = 127;
    else if (c < -127) c = -127;
    codes[d] = c;
    const back = c * scale;
    errSq += (v - back) * (v - back);
  }
  const e = Math.sqrt(errSq);
  return { regular: true, scale, alpha: roundUp(a * (1 + WIDEN)), beta: roundUp(e + WIDEN * (a + e)), gamma: GAMMA };
}
