/**
 * Checks the engine's SNCA maths (loss, gradient, memory update, weighted kNN, NN)
 * against reference test vectors, on whatever backend is active. `snca check-vectors
 * FILE...` is a thin wrapper around this.
 *
 * A vectors file (VectorsFileSchema below) holds cases, each with its sizes (B, N, D, C),
 * T, momentum, margin and margin / T, K and sigma; the float32 inputs x [B·D] and memory
 * [N·D] row-major, the labels of the memory rows and the memory row of each batch sample;
 * and the float64 answers of the definitions in nca-loss.ts (loss, per-sample prob, dropped
 * samples, dLoss/dx, the updated memory rows) and knn.ts (top-1 / top-5 counts and
 * predictions, nearest-neighbour predictions). Loss is checked by relative error, the
 * gradient and memory rows by absolute error per element, kNN and NN answers exactly.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { knnAccuracy, knnClassify } from '../eval/knn.ts';
import { MemoryBank } from './memory-bank.ts';
import { ncaDiagnostics, ncaLoss } from './nca-loss.ts';

const TolerancesSchema = z.object({
  loss_rel: z.number().nonnegative(),
  grad_abs: z.number().nonnegative(),
  memory_abs: z.number().nonnegative(),
});

const intArray = z.array(z.int());

const CaseSchema = z
  .object({
    name: z.string().min(1),
    B: z.int().min(1),
    N: z.int().min(1),
    D: z.int().min(1),
    C: z.int().min(1),
    T: z.number().positive(),
    momentum: z.number().min(0).max(1),
    margin: z.number(),
    margin_over_T: z.number(),
    K: z.int().min(1),
    sigma: z.number().positive(),
    seed: z.int().optional(),
    memory_kind: z.string().optional(),
    x: z.array(z.number()),
    memory: z.array(z.number()),
    labels: z.array(z.int().min(0)),
    indexes: z.array(z.int().min(0)),
    tolerances: TolerancesSchema.optional(),
    expected: z.object({
      loss: z.number(),
      prob: z.array(z.number()),
      dropped: intArray,
      grad_x: z.array(z.number()),
      memory_after: z.object({ indexes: intArray, rows: z.array(z.number()) }),
      knn: z.object({
        query_labels: intArray,
        top1_correct_count: z.int().min(0),
        top5_correct_count: z.int().min(0),
        predictions: intArray,
      }),
      nn_top1_correct_count: z.int().min(0),
      nn_predictions: intArray,
    }),
  })
  .superRefine((c, ctx) => {
    const len = (field: (string | number)[], actual: number, expected: number, what: string) => {
      if (actual !== expected) {
        ctx.addIssue({ code: 'custom', path: field, message: `expected ${expected} values (${what}), got ${actual}` });
      }
    };
    len(['x'], c.x.length, c.B * c.D, 'B·D');
    len(['memory'], c.memory.length, c.N * c.D, 'N·D');
    len(['labels'], c.labels.length, c.N, 'N');
    len(['indexes'], c.indexes.length, c.B, 'B');
    len(['expected', 'prob'], c.expected.prob.length, c.B, 'B');
    len(['expected', 'grad_x'], c.expected.grad_x.length, c.B * c.D, 'B·D');
    len(['expected', 'memory_after', 'indexes'], c.expected.memory_after.indexes.length, c.B, 'B');
    len(['expected', 'memory_after', 'rows'], c.expected.memory_after.rows.length, c.B * c.D, 'B·D');
    len(['expected', 'knn', 'query_labels'], c.expected.knn.query_labels.length, c.B, 'B');
    len(['expected', 'knn', 'predictions'], c.expected.knn.predictions.length, c.B, 'B');
    len(['expected', 'nn_predictions'], c.expected.nn_predictions.length, c.B, 'B');
    c.labels.forEach((l, i) => {
      if (l >= c.C) ctx.addIssue({ code: 'custom', path: ['labels', i], message: `label ${l} is not below C = ${c.C}` });
    });
    const seen = new Set<number>();
    c.indexes.forEach((k, i) => {
      if (k >= c.N) ctx.addIssue({ code: 'custom', path: ['indexes', i], message: `index ${k} is not below N = ${c.N}` });
      if (seen.has(k)) ctx.addIssue({ code: 'custom', path: ['indexes', i], message: `index ${k} is repeated; indexes must be distinct` });
      seen.add(k);
    });
    c.expected.memory_after.indexes.forEach((k, i) => {
      if (k >= c.N) {
        ctx.addIssue({ code: 'custom', path: ['expected', 'memory_after', 'indexes', i], message: `index ${k} is not below N = ${c.N}` });
      }
    });
  });

/** Tolerances of a file that gives none. */
const DEFAULT_TOLERANCES = { loss_rel: 1e-5, grad_abs: 1e-5, memory_abs: 1e-6 };

export const VectorsFileSchema = z.object({
  format: z.literal('snca-vectors'),
  version: z.literal(1),
  title: z.string().default(''),
  default_tolerances: TolerancesSchema.default(DEFAULT_TOLERANCES),
  cases: z.array(CaseSchema),
});

export type VectorsFile = z.infer<typeof VectorsFileSchema>;
export type VectorsCase = z.infer<typeof CaseSchema>;
export type Tolerances = z.infer<typeof TolerancesSchema>;

export class VectorsFormatError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file} is not a valid snca-vectors file:\n  ${problems.join('\n  ')}`);
    this.name = 'VectorsFormatError';
  }
}

export interface QuantityCheck {
  /** loss, grad_x, memory_after, memory_untouched, knn_predictions, knn_top1_count, ... */
  quantity: string;
  pass: boolean;
  /** False for diagnostics the format does not require (prob). */
  required: boolean;
  maxAbsError?: number;
  maxRelError?: number;
  /** The bound applied, e.g. "rel ≤ 1e-5" or "exact". */
  tolerance: string;
  detail?: string;
}

export interface VectorsCaseResult {
  name: string;
  backend: string;
  pass: boolean;
  checks: QuantityCheck[];
  seconds: number;
}

export interface VectorsFileResult {
  file: string;
  title: string;
  backend: string;
  pass: boolean;
  cases: VectorsCaseResult[];
}

export interface CheckOptions {
  /** Memory rows per chunk of the loss (default: the loss's default). */
  chunkSize?: number;
  /** Tolerances when a case has none (default: the file's, else DEFAULT_TOLERANCES). */
  defaultTolerances?: Tolerances;
}

/** Parses and validates vectors JSON; errors name the offending field. */
export function parseVectors(json: unknown, file = '<vectors>'): VectorsFile {
  const r = VectorsFileSchema.safeParse(json);
  if (r.success) return r.data;
  const problems = r.error.issues.slice(0, 20).map((i) => `${formatPath(i.path)}: ${i.message}`);
  if (r.error.issues.length > 20) problems.push(`… and ${r.error.issues.length - 20} more`);
  throw new VectorsFormatError(file, problems);
}

function formatPath(p: readonly PropertyKey[]): string {
  if (p.length === 0) return '(file)';
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i === 0 ? '' : '.'}${String(k)}`)).join('');
}

/** Runs every quantity of one case on the active backend. */
export async function checkVectorsCase(c: VectorsCase, opts: CheckOptions = {}): Promise<VectorsCaseResult> {
  const start = performance.now();
  const tol = c.tolerances ?? opts.defaultTolerances ?? DEFAULT_TOLERANCES;
  const checks: QuantityCheck[] = [];
  const x = tf.tensor2d(c.x, [c.B, c.D]);
  const memory = tf.tensor2d(c.memory, [c.N, c.D]);
  const labels = tf.tensor1d(c.labels, 'int32');
  const indexes = tf.tensor1d(c.indexes, 'int32');
  const lossOpts = { temperature: c.T, marginOverT: c.margin_over_T, chunkSize: opts.chunkSize };
  try {
    // Loss and gradient through the same tape path training uses.
    const { value, grad } = tf.valueAndGrad((xi: tf.Tensor) => ncaLoss(xi as tf.Tensor2D, memory, labels, indexes, lossOpts))(x);
    const loss = (await value.data())[0]!;
    const gradValues = await grad.data();
    tf.dispose([value, grad]);
    const lossAbs = Math.abs(loss - c.expected.loss);
    const lossRel = lossAbs / Math.max(Math.abs(c.expected.loss), Number.MIN_VALUE);
    checks.push({
      quantity: 'loss', required: true, pass: lossRel <= tol.loss_rel, maxAbsError: lossAbs, maxRelError: lossRel,
      tolerance: `rel ≤ ${tol.loss_rel}`, detail: `got ${loss}, expected ${c.expected.loss}`,
    });
    const g = compare(gradValues, c.expected.grad_x);
    checks.push({ quantity: 'grad_x', required: true, pass: g.maxAbs <= tol.grad_abs, maxAbsError: g.maxAbs, maxRelError: g.maxRel, tolerance: `abs ≤ ${tol.grad_abs}` });

    const diag = await ncaDiagnostics(x, memory, labels, indexes, lossOpts);
    const pr = compare(diag.prob, c.expected.prob);
    checks.push({ quantity: 'prob', required: false, pass: pr.maxAbs <= 1e-5, maxAbsError: pr.maxAbs, maxRelError: pr.maxRel, tolerance: 'abs ≤ 1e-5 (diagnostic)' });
    const droppedOk = sameList(diag.dropped, c.expected.dropped);
    checks.push({
      quantity: 'dropped', required: true, pass: droppedOk, tolerance: 'exact',
      detail: droppedOk ? undefined : `got [${diag.dropped}], expected [${c.expected.dropped}]`,
    });

    checks.push(...(await checkMemoryUpdate(c, x, indexes, tol)));
    checks.push(...(await checkKnn(c, x, memory)));
  } finally {
    tf.dispose([x, memory, labels, indexes]);
  }
  return {
    name: c.name,
    backend: tf.getBackend(),
    pass: checks.every((k) => k.pass || !k.required),
    checks,
    seconds: (performance.now() - start) / 1000,
  };
}

async function checkMemoryUpdate(c: VectorsCase, x: tf.Tensor2D, indexes: tf.Tensor1D, tol: Tolerances): Promise<QuantityCheck[]> {
  const before = Float32Array.from(c.memory);
  const bank = MemoryBank.fromArray(before, c.N, c.D, Int32Array.from(c.labels));
  let after: Float32Array;
  try {
    bank.update(x, indexes, c.momentum);
    after = await bank.read();
  } finally {
    bank.dispose();
  }
  const { indexes: rowsIdx, rows } = c.expected.memory_after;
  let maxAbs = 0;
  let maxRel = 0;
  for (let r = 0; r < rowsIdx.length; r++) {
    const k = rowsIdx[r]!;
    for (let d = 0; d < c.D; d++) {
      const want = rows[r * c.D + d]!;
      const err = Math.abs(after[k * c.D + d]! - want);
      maxAbs = Math.max(maxAbs, err);
      if (want !== 0) maxRel = Math.max(maxRel, err / Math.abs(want));
    }
  }
  const updated = new Set(rowsIdx);
  const beforeBits = new Uint32Array(before.buffer);
  const afterBits = new Uint32Array(after.buffer);
  let changed = 0;
  let firstChanged = -1;
  for (let k = 0; k < c.N; k++) {
    if (updated.has(k)) continue;
    for (let d = 0; d < c.D; d++) {
      if (beforeBits[k * c.D + d] !== afterBits[k * c.D + d]) {
        changed++;
        if (firstChanged < 0) firstChanged = k;
        break;
      }
    }
  }
  return [
    { quantity: 'memory_after', required: true, pass: maxAbs <= tol.memory_abs, maxAbsError: maxAbs, maxRelError: maxRel, tolerance: `abs ≤ ${tol.memory_abs}` },
    {
      quantity: 'memory_untouched', required: true, pass: changed === 0, tolerance: 'bit-exact',
      detail: changed === 0 ? undefined : `${changed} rows outside the batch changed (first: row ${firstChanged})`,
    },
  ];
}

async function checkKnn(c: VectorsCase, x: tf.Tensor2D, memory: tf.Tensor2D): Promise<QuantityCheck[]> {
  const bankLabels = Int32Array.from(c.labels);
  const targets = Int32Array.from(c.indexes.map((k) => c.labels[k]!));
  const out: QuantityCheck[] = [];
  const labelsOk = sameList([...targets], c.expected.knn.query_labels);
  out.push({ quantity: 'knn_query_labels', required: true, pass: labelsOk, tolerance: 'exact', detail: labelsOk ? undefined : 'expected.knn.query_labels ≠ labels[indexes]' });
  const result = await knnClassify(x, memory, bankLabels, { k: c.K, sigma: c.sigma, numClasses: c.C });
  const acc = knnAccuracy(result, targets);
  const exact = (quantity: string, got: number, want: number) =>
    out.push({ quantity, required: true, pass: got === want, tolerance: 'exact', detail: `got ${got}, expected ${want}` });
  const mismatches = (got: Int32Array, want: number[]) => want.reduce((n, v, i) => n + (got[i] === v ? 0 : 1), 0);
  const predMiss = mismatches(result.predictions, c.expected.knn.predictions);
  out.push({ quantity: 'knn_predictions', required: true, pass: predMiss === 0, tolerance: 'exact', detail: `${predMiss} of ${c.B} differ` });
  exact('knn_top1_count', acc.top1Correct, c.expected.knn.top1_correct_count);
  exact('knn_top5_count', acc.top5Correct, c.expected.knn.top5_correct_count);
  const nnMiss = mismatches(result.nnLabels, c.expected.nn_predictions);
  out.push({ quantity: 'nn_predictions', required: true, pass: nnMiss === 0, tolerance: 'exact', detail: `${nnMiss} of ${c.B} differ` });
  exact('nn_top1_count', acc.nnCorrect, c.expected.nn_top1_correct_count);
  return out;
}

function compare(got: ArrayLike<number>, want: readonly number[]): { maxAbs: number; maxRel: number } {
  let maxAbs = 0;
  let maxRel = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    if (!(err <= maxAbs)) maxAbs = err; // NaN propagates into the maximum
    if (want[i] !== 0) maxRel = Math.max(maxRel, err / Math.abs(want[i]!));
  }
  return { maxAbs, maxRel };
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Reads, validates and checks every case of one vectors file on the active backend. */
export async function checkVectorsFile(file: string, opts: CheckOptions = {}): Promise<VectorsFileResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new VectorsFormatError(file, [`cannot read the file: ${(e as Error).message}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new VectorsFormatError(file, [`not JSON: ${(e as Error).message}`]);
  }
  const parsed = parseVectors(json, file);
  const cases: VectorsCaseResult[] = [];
  for (const c of parsed.cases) {
    cases.push(await checkVectorsCase(c, { ...opts, defaultTolerances: opts.defaultTolerances ?? parsed.default_tolerances }));
  }
  return { file, title: parsed.title, backend: tf.getBackend(), pass: cases.every((c) => c.pass), cases };
}

function num(v: number | undefined): string {
  if (v === undefined) return '-';
  if (Number.isNaN(v)) return 'NaN';
  return v === 0 ? '0' : v.toExponential(1);
}

/** A plain-text report: one line per case, the failing quantities spelled out. */
export function formatVectorsReport(results: VectorsFileResult | readonly VectorsFileResult[]): string {
  // (Array.isArray does not narrow readonly arrays.)
  const files: readonly VectorsFileResult[] = 'cases' in results ? [results as VectorsFileResult] : (results as readonly VectorsFileResult[]);
  const lines: string[] = [];
  let total = 0;
  let failed = 0;
  for (const f of files) {
    lines.push(`${path.basename(f.file)}${f.title ? ` — ${f.title}` : ''} (backend ${f.backend})`);
    for (const c of f.cases) {
      total++;
      if (!c.pass) failed++;
      const get = (q: string) => c.checks.find((k) => k.quantity === q);
      const loss = get('loss');
      const grad = get('grad_x');
      const mem = get('memory_after');
      const knnOk = ['knn_predictions', 'knn_top1_count', 'knn_top5_count', 'nn_predictions', 'nn_top1_count'].every((q) => get(q)?.pass);
      lines.push(
        `  ${c.pass ? 'PASS' : 'FAIL'} ${c.name}: loss rel ${num(loss?.maxRelError)}, grad abs ${num(grad?.maxAbsError)}, ` +
          `memory abs ${num(mem?.maxAbsError)}, kNN/NN ${knnOk ? 'exact' : 'MISMATCH'} (${c.seconds.toFixed(2)} s)`,
      );
      for (const k of c.checks) {
        if (k.pass) continue;
        const errs = k.maxAbsError !== undefined ? ` abs ${num(k.maxAbsError)} rel ${num(k.maxRelError)}` : '';
        lines.push(`      ${k.required ? 'failed' : 'note'}: ${k.quantity}${errs} (needs ${k.tolerance})${k.detail ? ` — ${k.detail}` : ''}`);
      }
    }
  }
  lines.push(failed === 0 ? `All ${total} case${total === 1 ? '' : 's'} passed.` : `${failed} of ${total} cases FAILED.`);
  return lines.join('\n');
}
