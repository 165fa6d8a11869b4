/** Test helper: central finite differences against tf.variableGrads, for tiny float32 problems. */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';

export interface GradCheckOptions {
  /** Finite-difference step. */
  eps?: number;
  atol?: number;
  rtol?: number;
}

/**
 * Checks d f / d v for every element of every variable in `vars`. `f` must be deterministic
 * given the variables' values (train-mode BatchNorm may update its buffers: they do not feed back).
 */
export function checkGradients(label: string, vars: tf.Variable[], f: () => tf.Scalar, opts: GradCheckOptions = {}): void {
  const eps = opts.eps ?? 5e-3;
  const atol = opts.atol ?? 2e-3;
  const rtol = opts.rtol ?? 2e-2;
  const { value, grads } = tf.variableGrads(f, vars);
  value.dispose();
  const evalF = (): number => tf.tidy(() => f().dataSync()[0]!);
  for (const v of vars) {
    const analytic = grads[v.name]!.dataSync();
    const base = v.dataSync().slice() as Float32Array;
    for (let i = 0; i < base.length; i++) {
      const probe = (delta: number): number => {
        const p = base.slice();
        p[i] = p[i]! + delta;
        const t = tf.tensor(p, v.shape);
        v.assign(t);
        t.dispose();
        return evalF();
      };
      const numeric = (probe(eps) - probe(-eps)) / (2 * eps);
      const err = Math.abs(numeric - analytic[i]!);
      assert.ok(err <= atol + rtol * Math.abs(numeric),
        `${label}: d/d${v.name}[${i}] analytic ${analytic[i]} vs numeric ${numeric}`);
    }
    const t = tf.tensor(base, v.shape);
    v.assign(t);
    t.dispose();
    // guard against a vacuous check: some gradient must be non-zero
    assert.ok(analytic.some((g) => Math.abs(g) > 1e-3), `${label}: gradient w.r.t. ${v.name} is all ~0; the check proves nothing`);
  }
  for (const g of Object.values(grads)) g.dispose();
}

/** Deterministic, tie-free values: distinct per element, roughly in [-1, 1]. */
export function distinctValues(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin((i + 1) * 12.9898 + seed * 78.233) * 0.9 + ((i * 7919) % 97) / 9700);
}
