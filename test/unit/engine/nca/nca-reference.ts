/**
 * A direct float64 transcription of the NCA definitions at the top of nca-loss.ts, for
 * checking the tfjs implementation. Deliberately naive: every logit is computed on its own,
 * with the row maximum subtracted (float64 overflows only above ~709).
 */
export interface NcaProblem {
  b: number;
  n: number;
  d: number;
  x: ArrayLike<number>;
  memory: ArrayLike<number>;
  labels: ArrayLike<number>;
  indexes: ArrayLike<number>;
  t: number;
  mu: number;
}

export interface NcaReference {
  loss: number;
  logProb: Float64Array;
  dropped: number[];
  grad: Float64Array;
}

function logSumExp(values: number[]): number {
  const m = Math.max(...values);
  let s = 0;
  for (const v of values) s += Math.exp(v - m);
  return m + Math.log(s);
}

export function ncaReference(p: NcaProblem, x: ArrayLike<number> = p.x): NcaReference {
  const logProb = new Float64Array(p.b);
  const grad = new Float64Array(p.b * p.d);
  const dropped: number[] = [];
  let loss = 0;
  for (let i = 0; i < p.b; i++) {
    const k = p.indexes[i]!;
    const y = p.labels[k]!;
    const all: number[] = [];
    const pos: number[] = [];
    const rows: number[] = [];
    const same: boolean[] = [];
    for (let j = 0; j < p.n; j++) {
      if (j === k) continue;
      let dot = 0;
      for (let e = 0; e < p.d; e++) dot += x[i * p.d + e]! * p.memory[j * p.d + e]!;
      const isSame = p.labels[j] === y;
      const a = dot / p.t - (isSame ? p.mu : 0);
      all.push(a);
      if (isSame) pos.push(a);
      rows.push(j);
      same.push(isSame);
    }
    if (pos.length === 0) {
      dropped.push(i);
      continue;
    }
    const lseAll = logSumExp(all);
    const lsePos = logSumExp(pos);
    logProb[i] = lsePos - lseAll;
    loss -= logProb[i]! / p.b;
    for (let r = 0; r < rows.length; r++) {
      const qAll = Math.exp(all[r]! - lseAll);
      const qPos = same[r] ? Math.exp(all[r]! - lsePos) : 0;
      const coef = -(qPos - qAll) / (p.b * p.t);
      for (let e = 0; e < p.d; e++) grad[i * p.d + e]! += coef * p.memory[rows[r]! * p.d + e]!;
    }
  }
  return { loss, logProb, dropped, grad };
}
