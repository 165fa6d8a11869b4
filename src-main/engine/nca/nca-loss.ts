/**
 * The NCA loss of Wu, Efros & Yu (ECCV 2018) against a memory bank, with its analytic
 * gradient. This comment is the definition the app follows; it matches the reference
 * PyTorch code (lib/LinearAverage.py and lib/NCA.py), and the reference test vectors checked
 * by `snca check-vectors` (vectors.ts) and by the unit tests are computed from it.
 *
 * Given a batch of B L2-normalised features x_i (D wide), the memory bank m_j (N rows, one
 * per training sample, with labels l_j), the memory row k_i of each batch sample and its
 * class y_i = l_{k_i}, the temperature T and the margin (the loss uses μ = margin / T):
 *
 *   1. Logits: out[i][j] = x_i·m_j / T for every memory row j.
 *   2. The own row is excluded: e[i][j] = exp(out[i][j]) for j ≠ k_i, and e[i][k_i] = 0.
 *   3. p_i = Σ_{j: l_j = y_i} e[i][j] (same class), n_i = Σ_{j: l_j ≠ y_i} e[i][j].
 *   4. Margin: p'_i = p_i · e^{−μ}, prob_i = p'_i / (n_i + p'_i).
 *   5. loss = −(1/B) Σ_{i: prob_i ≠ 0} log prob_i. A sample whose class has no memory row
 *      other than its own has p_i = 0: it is left out of the sum but still counted in B.
 *   6. Gradient, with the memory held constant:
 *        dLoss/dx_i = −(1/(B·T)) Σ_j (q_ij^same − q_ij) m_j
 *                   = −((1 − prob_i)/(B·T)) (U⁺_i − U⁻_i)
 *      where q_ij is the softmax over j of a_ij = out_ij − μ·[l_j = y_i] (own row −∞),
 *      q^same the same softmax restricted to the same-class rows, and U⁺_i, U⁻_i the means
 *      of the same-class and other-class memory rows weighted by their own softmaxes (q⁺,
 *      q⁻). Dropped samples get zero rows.
 *   7. Memory update (memory-bank.ts), from the memory as it was before the step, the one
 *      the gradient used: w = momentum · m_{k_i} + (1 − momentum) · x_i, m_{k_i} ← w / ‖w‖₂.
 *
 * The second form of the gradient is the one computed: when prob_i is close to 1,
 * q^same − q is a difference of nearly equal numbers, while U⁺ − U⁻ has no cancellation
 * and 1 − prob_i comes from the log domain; the margin then enters only through the
 * per-sample d below.
 *
 * How it is computed:
 * - Streaming over chunks of the bank, so the extra memory is O(B × chunk), never B × N.
 *   Each chunk yields, for the same-class and the other-class rows separately, its max and
 *   its softmax; running (max, sum) pairs are merged in the usual online log-sum-exp way,
 *   so nothing overflows at any temperature. With d = lse⁻ − lse⁺ + μ,
 *   log prob = −softplus(d) and 1 − prob = sigmoid(d), so prob_i never underflows to 0
 *   and the margin costs nothing per element. A sample is dropped exactly when its class
 *   has no other memory row.
 * - The gradient is accumulated in the same single pass, flash-attention style: U⁺ and U⁻
 *   are kept normalised and rescaled when the running max moves, so no chunk's logits are
 *   ever stored or recomputed. This is only done when a gradient tape is recording (inside
 *   tf.grad / tf.variableGrads); the backward pass then just scales the saved [B, D]
 *   gradient by dy. Recomputing the chunk logits in the backward pass instead needs the
 *   same three B×N×D matmuls (logits twice, then one for the gradient) and repeats all the
 *   masking and softmax work.
 * - When the bank fits in one chunk both softmaxes are final at once and have disjoint
 *   supports, so one product Σ_j (q⁺_ij − q⁻_ij) m_j = U⁺ − U⁻ gives the gradient: two
 *   matmuls per step instead of three.
 * - The class mask comes from broadcasting arithmetic on float labels
 *   (other = min((y_i − l_j)², 1)) and the own row is excluded by a B-element scatter: on
 *   the wasm backend Equal, Where and Gather over B×c elements are generic loops many times
 *   slower than XNNPACK's vectorised arithmetic, and the exponentials come from XNNPACK's
 *   softmax, which is faster than Exp.
 */
import * as tf from '@tensorflow/tfjs-core';
import { sliceRows, sliceRowsTransposed } from '../kernels/row-slices.ts';
import { maxTensorBytes } from '../webgpu-device.ts';

/** tf.tidy for functions returning plain objects of tensors (its own typing rejects them). */
function tidyObject<T>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T;
}

export interface NcaLossOptions {
  /** Temperature T of the logits. */
  temperature: number;
  /** The margin divided by T, as the loss uses it (default 0). */
  marginOverT?: number;
  /**
   * Memory rows per chunk (default: defaultChunkRows(B), i.e. 8192 at B = 256); the bank is
   * processed whole when it is smaller.
   */
  chunkSize?: number;
}

export class NcaInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NcaInputError';
  }
}

/**
 * The default chunk holds this many logits (B × rows): 256 × 8192, 8 MiB per B×chunk
 * matrix. A budget in elements rather than a fixed row count keeps the extra memory the
 * same at every batch size while a smaller batch streams over fewer, larger chunks: each
 * chunk costs a merge of the running statistics, and a bank that fits in one chunk needs
 * two B×N×D products per step instead of three.
 */
export const DEFAULT_CHUNK_ELEMENTS = 256 * 8192;

/** Default memory rows per chunk for a batch of `batchRows`. */
export function defaultChunkRows(batchRows: number): number {
  return Math.max(1, Math.floor(DEFAULT_CHUNK_ELEMENTS / Math.max(1, batchRows)));
}

/**
 * Stands for −∞ in the masks. Finite so that masked rows never produce inf − inf = NaN;
 * adding any real logit to it leaves it unchanged in float32.
 */
const MASKED = -1e30;
/** Running maxima below this mean "no unmasked entry seen". */
const MASKED_THRESHOLD = -1e29;

interface Prepared {
  x: tf.Tensor2D;
  memory: tf.Tensor2D;
  b: number;
  n: number;
  d: number;
  t: number;
  mu: number;
  chunk: number;
  /** x / T. */
  xs: tf.Tensor2D;
  /** Labels of the bank as a float column [N, 1] (exact for any class id < 2^24). */
  labelsCol: tf.Tensor2D;
  /** Class of every batch row, float [B, 1]. */
  yB: tf.Tensor2D;
  /** Memory row of every batch row, int32 [B]. */
  kInt: tf.Tensor1D;
  /** 0 … B−1, int32 [B]. */
  rowIds: tf.Tensor1D;
  /** MASKED repeated, [B]. */
  maskedRow: tf.Tensor1D;
}

interface SetState {
  /** Running max of the logits of the set, [B]. */
  m: tf.Tensor1D;
  /** Running Σ exp(a − m), [B]. */
  s: tf.Tensor1D;
  /** Running Σ_j softmax_j · m_j, normalised, [B, D] (only with the gradient). */
  u: tf.Tensor2D | null;
}

interface ForwardResult {
  /** log prob_i, 0 where dropped, [B]. */
  logProb: tf.Tensor1D;
  /** 1 where the sample counts, 0 where dropped, [B]. */
  valid: tf.Tensor1D;
  /** dLoss/dx, [B, D], when requested. */
  grad: tf.Tensor2D | null;
}

function validate(
  x: tf.Tensor2D,
  memory: tf.Tensor2D,
  labels: tf.Tensor1D,
  indexes: tf.Tensor1D,
  opts: NcaLossOptions,
): void {
  if (x.rank !== 2 || memory.rank !== 2) {
    throw new NcaInputError(`ncaLoss: x and memory must be matrices, got x [${x.shape}] and memory [${memory.shape}]`);
  }
  if (x.shape[1] !== memory.shape[1]) {
    throw new NcaInputError(`ncaLoss: feature size ${x.shape[1]} of x does not match the memory's ${memory.shape[1]}`);
  }
  if (labels.rank !== 1 || labels.shape[0] !== memory.shape[0]) {
    throw new NcaInputError(`ncaLoss: labels must be [${memory.shape[0]}] (one per memory row), got [${labels.shape}]`);
  }
  if (indexes.rank !== 1 || indexes.shape[0] !== x.shape[0]) {
    throw new NcaInputError(`ncaLoss: indexes must be [${x.shape[0]}] (one per batch row), got [${indexes.shape}]`);
  }
  if (labels.dtype !== 'int32' || indexes.dtype !== 'int32') {
    throw new NcaInputError(`ncaLoss: labels and indexes must be int32, got ${labels.dtype} and ${indexes.dtype}`);
  }
  if (!(opts.temperature > 0) || !Number.isFinite(opts.temperature)) {
    throw new NcaInputError(`ncaLoss: the temperature must be a positive number, got ${opts.temperature}`);
  }
  const mu = opts.marginOverT ?? 0;
  if (!Number.isFinite(mu)) throw new NcaInputError(`ncaLoss: marginOverT must be finite, got ${mu}`);
  const chunk = opts.chunkSize ?? defaultChunkRows(x.shape[0]);
  if (!Number.isInteger(chunk) || chunk < 1) {
    throw new NcaInputError(`ncaLoss: chunkSize must be a positive integer, got ${chunk}`);
  }
}

function prepare(
  x: tf.Tensor2D,
  memory: tf.Tensor2D,
  labels: tf.Tensor1D,
  indexes: tf.Tensor1D,
  opts: NcaLossOptions,
): Prepared {
  const [b, d] = x.shape;
  const n = memory.shape[0];
  const t = opts.temperature;
  const mu = opts.marginOverT ?? 0;
  // A B×chunk logits block never exceeds what one GPU buffer may hold.
  const chunk = Math.max(1, Math.min(opts.chunkSize ?? defaultChunkRows(b), n, Math.floor(maxTensorBytes() / 4 / Math.max(1, b))));
  const tensors = tidyObject(() => {
    const labelsCol = tf.reshape(tf.cast(labels, 'float32'), [n, 1]) as tf.Tensor2D;
    return {
      xs: tf.mul(x, 1 / t) as tf.Tensor2D,
      labelsCol,
      yB: tf.reshape(tf.gather(labelsCol, indexes), [b, 1]) as tf.Tensor2D,
      kInt: tf.clone(indexes),
      rowIds: tf.range(0, b, 1, 'int32') as tf.Tensor1D,
      maskedRow: tf.fill([b], MASKED) as tf.Tensor1D,
    };
  });
  return { x, memory, b, n, d, t, mu, chunk, ...tensors };
}

/** Merges a chunk's (max, softmax, weighted rows) into the running state of one set. */
function mergeSet(
  state: SetState | null,
  mc: tf.Tensor1D,
  sc: tf.Tensor1D,
  uc: tf.Tensor2D | null,
): SetState {
  if (!state) return { m: mc, s: sc, u: uc };
  const m = tf.maximum(state.m, mc) as tf.Tensor1D;
  const wOld = tf.mul(state.s, tf.exp(tf.sub(state.m, m)));
  const wNew = tf.mul(sc, tf.exp(tf.sub(mc, m)));
  const s = tf.add(wOld, wNew) as tf.Tensor1D;
  let u: tf.Tensor2D | null = null;
  if (state.u && uc) {
    const inv = tf.div(1, s);
    u = tf.add(
      tf.mul(state.u, tf.reshape(tf.mul(wOld, inv), [-1, 1])),
      tf.mul(uc, tf.reshape(tf.mul(wNew, inv), [-1, 1])),
    ) as tf.Tensor2D;
  }
  return { m, s, u };
}

/**
 * Sets a[i, k_i − start] to MASKED for the batch rows whose own memory row lies in this
 * chunk: one scatter of B entries instead of a B×c mask (rows whose own row lies elsewhere
 * get their current value written back).
 */
function excludeOwnRows(p: Prepared, a: tf.Tensor2D, start: number, count: number): tf.Tensor2D {
  const local = tf.sub(p.kInt, tf.scalar(start, 'int32'));
  const inChunk = tf.logicalAnd(tf.greaterEqual(local, tf.scalar(0, 'int32')), tf.less(local, tf.scalar(count, 'int32')));
  const col = tf.minimum(tf.maximum(local, tf.scalar(0, 'int32')), tf.scalar(count - 1, 'int32'));
  const at = tf.stack([p.rowIds, col], 1) as tf.Tensor2D;
  const update = tf.where(inChunk, p.maskedRow, tf.gatherND(a, at) as tf.Tensor1D);
  return tf.tensorScatterUpdate(a, at, update);
}

interface ChunkResult {
  neg: [tf.Tensor1D, tf.Tensor1D, tf.Tensor2D | null];
  pos: [tf.Tensor1D, tf.Tensor1D, tf.Tensor2D | null];
  /** Only when the chunk is the whole bank: U⁺ − U⁻, [B, D]. */
  diff?: tf.Tensor2D;
}

/**
 * xs · rowsᵀ, [B, c]. On wasm as (rows · xsᵀ)ᵀ: XNNPACK packs its right-hand operand on
 * every call (the bank changes every step, so nothing is cached), and here that is the
 * tiny xsᵀ instead of a transposed copy of the chunk; transposing the [c, B] product back
 * is one cheap pass.
 */
function chunkLogits(xs: tf.Tensor2D, rows: tf.Tensor2D): tf.Tensor2D {
  if (tf.getBackend() !== 'wasm') return tf.matMul(xs, rows, false, true);
  return sliceRowsTransposed(tf.matMul(rows, sliceRowsTransposed(xs, 0, xs.shape[0])), 0, rows.shape[0]);
}

/**
 * One chunk: the logits split into other-class and same-class rows (own row excluded),
 * their stats and (optionally) softmax-weighted memory rows.
 */
function processChunk(p: Prepared, start: number, count: number, withGrad: boolean): ChunkResult {
  const rows = count === p.n ? p.memory : sliceRows(p.memory, start, count);
  const logits = chunkLogits(p.xs, rows); // [B, c]
  const labelRow = tf.reshape(sliceRows(p.labelsCol, start, count), [1, count]);
  // MASKED where the row is of another class, else 0; exact, since labels are integer-valued.
  const otherMasked = tf.mul(tf.clipByValue(tf.square(tf.sub(p.yB, labelRow)), 0, 1), MASKED);
  const aNeg = tf.add(logits, tf.sub(MASKED, otherMasked)) as tf.Tensor2D;
  const aPos = excludeOwnRows(p, tf.add(logits, otherMasked) as tf.Tensor2D, start, count);

  const stats = (z: tf.Tensor2D) => {
    const m = tf.max(z, 1) as tf.Tensor1D;
    const q = tf.softmax(z) as tf.Tensor2D;
    // The softmax's largest entry is exp(0)/Σ, which gives the chunk's normaliser.
    const s = tf.div(1, tf.max(q, 1)) as tf.Tensor1D;
    return { m, q, s };
  };
  const sn = stats(aNeg);
  const sp = stats(aPos);
  if (!withGrad) return { neg: [sn.m, sn.s, null], pos: [sp.m, sp.s, null] };
  if (count === p.n) {
    // The whole bank in one chunk: both softmaxes are final and have disjoint supports, so
    // one product gives U⁺ − U⁻ (two matmuls per step instead of three).
    const diff = tf.matMul(tf.sub(sp.q, sn.q), rows) as tf.Tensor2D;
    return { neg: [sn.m, sn.s, null], pos: [sp.m, sp.s, null], diff };
  }
  // Two products with the same memory rows: XNNPACK packs them once (cached by tensor id).
  const un = tf.matMul(sn.q, rows) as tf.Tensor2D;
  const up = tf.matMul(sp.q, rows) as tf.Tensor2D;
  return { neg: [sn.m, sn.s, un], pos: [sp.m, sp.s, up] };
}

function forward(p: Prepared, withGrad: boolean): ForwardResult {
  if (p.chunk >= p.n) return forwardWhole(p, withGrad);
  let neg: SetState | null = null;
  let pos: SetState | null = null;
  try {
    for (let start = 0; start < p.n; start += p.chunk) {
      const count = Math.min(p.chunk, p.n - start);
      const prevNeg: SetState | null = neg;
      const prevPos: SetState | null = pos;
      const next = tidyObject((): { neg: SetState; pos: SetState } => {
        const c = processChunk(p, start, count, withGrad);
        return { neg: mergeSet(prevNeg, ...c.neg), pos: mergeSet(prevPos, ...c.pos) };
      });
      disposeState(prevNeg);
      disposeState(prevPos);
      neg = next.neg;
      pos = next.pos;
    }
    const n = neg!;
    const q = pos!;
    return tidyObject(() => finish(p, n, q, withGrad && n.u && q.u ? (tf.sub(q.u, n.u) as tf.Tensor2D) : null));
  } finally {
    disposeState(neg);
    disposeState(pos);
  }
}

function forwardWhole(p: Prepared, withGrad: boolean): ForwardResult {
  return tidyObject(() => {
    const c = processChunk(p, 0, p.n, withGrad);
    const [m, s] = c.neg;
    const [mPos, sPos] = c.pos;
    return finish(p, { m, s, u: null }, { m: mPos, s: sPos, u: null }, c.diff ?? null);
  });
}

/** log prob, validity and (from U⁺ − U⁻) the gradient. Call inside a tidy. */
function finish(p: Prepared, neg: SetState, pos: SetState, diff: tf.Tensor2D | null): ForwardResult {
  const valid = tf.cast(tf.greater(pos.m, MASKED_THRESHOLD), 'float32') as tf.Tensor1D;
  // d = lse⁻ − lse⁺ + μ, with (m⁻ − m⁺) first: both are logits, so that difference is exact.
  // prob = 1 / (1 + e^d): log prob = −softplus(d), 1 − prob = sigmoid(d).
  const d = tf.add(tf.add(tf.sub(neg.m, pos.m), tf.sub(tf.log(neg.s), tf.log(pos.s))), p.mu);
  const logProb = tf.where(tf.cast(valid, 'bool'), tf.neg(tf.softplus(d)), tf.zerosLike(d)) as tf.Tensor1D;
  let grad: tf.Tensor2D | null = null;
  if (diff) {
    const scale = tf.mul(tf.mul(tf.sigmoid(d), valid), -1 / (p.b * p.t));
    grad = tf.mul(diff, tf.reshape(scale, [-1, 1])) as tf.Tensor2D;
  }
  return { logProb, valid, grad };
}

function disposeState(s: SetState | null): void {
  if (!s) return;
  s.m.dispose();
  s.s.dispose();
  s.u?.dispose();
}

function disposePrepared(p: Prepared): void {
  tf.dispose([p.xs, p.labelsCol, p.yB, p.kInt, p.rowIds, p.maskedRow]);
}

function lossFrom(r: ForwardResult, b: number): tf.Scalar {
  return tf.tidy(() => tf.mul(tf.sum(r.logProb), -1 / b));
}

/**
 * The NCA loss of a batch against the memory bank, differentiable w.r.t. `x` only (the
 * memory, labels and indexes are constants). `indexes[i]` is the memory row of batch row
 * i; they must be distinct.
 */
export function ncaLoss(
  x: tf.Tensor2D,
  memory: tf.Tensor2D,
  labels: tf.Tensor1D,
  indexes: tf.Tensor1D,
  opts: NcaLossOptions,
): tf.Scalar {
  validate(x, memory, labels, indexes, opts);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xIn = args[0] as tf.Tensor2D;
    const save = args[1] as tf.GradSaveFunc;
    // Inside tf.grad/variableGrads a tape is recording and the gradient will be asked for.
    const withGrad = tf.engine().state.gradientDepth > 0;
    const p = prepare(xIn, memory, labels, indexes, opts);
    let r: ForwardResult | null = null;
    try {
      r = forward(p, withGrad);
      const value = lossFrom(r, p.b);
      if (r.grad) save([r.grad]);
      return {
        value,
        gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
          const g = saved[0];
          if (!g) {
            throw new Error('ncaLoss: the gradient was requested but not computed (no gradient tape was recording)');
          }
          return tf.mul(g, dy);
        },
      };
    } finally {
      disposePrepared(p);
      if (r) tf.dispose([r.logProb, r.valid, ...(r.grad ? [r.grad] : [])]);
    }
  });
  return f(x) as tf.Scalar;
}

/** The loss and dLoss/dx in one call, without a gradient tape. */
export function ncaLossAndGrad(
  x: tf.Tensor2D,
  memory: tf.Tensor2D,
  labels: tf.Tensor1D,
  indexes: tf.Tensor1D,
  opts: NcaLossOptions,
): { loss: tf.Scalar; grad: tf.Tensor2D } {
  validate(x, memory, labels, indexes, opts);
  const p = prepare(x, memory, labels, indexes, opts);
  try {
    const r = forward(p, true);
    const loss = lossFrom(r, p.b);
    tf.dispose([r.logProb, r.valid]);
    return { loss, grad: r.grad! };
  } finally {
    disposePrepared(p);
  }
}

export interface NcaDiagnostics {
  loss: number;
  /** prob_i per batch row, 0 for dropped rows. */
  prob: Float32Array;
  /** log prob_i per batch row (finite even where prob_i underflows), 0 for dropped rows. */
  logProb: Float32Array;
  /** Batch positions whose class has no memory row other than their own. */
  dropped: number[];
}

/** Per-sample view of the loss, for diagnosis and the test vectors (reads back to JS). */
export async function ncaDiagnostics(
  x: tf.Tensor2D,
  memory: tf.Tensor2D,
  labels: tf.Tensor1D,
  indexes: tf.Tensor1D,
  opts: NcaLossOptions,
): Promise<NcaDiagnostics> {
  validate(x, memory, labels, indexes, opts);
  const p = prepare(x, memory, labels, indexes, opts);
  let r: ForwardResult | null = null;
  try {
    r = forward(p, false);
    const [logProb, valid] = await Promise.all([r.logProb.data(), r.valid.data()]);
    const prob = new Float32Array(p.b);
    const dropped: number[] = [];
    let sum = 0;
    for (let i = 0; i < p.b; i++) {
      if (valid[i] === 0) {
        dropped.push(i);
        continue;
      }
      sum += logProb[i]!;
      prob[i] = Math.exp(logProb[i]!);
    }
    return { loss: -sum / p.b, prob, logProb: Float32Array.from(logProb), dropped };
  } finally {
    disposePrepared(p);
    if (r) tf.dispose([r.logProb, r.valid, ...(r.grad ? [r.grad] : [])]);
  }
}
