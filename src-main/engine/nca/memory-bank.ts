/**
 * The non-parametric memory of SNCA: one L2-normalised feature per training sample,
 * refreshed with momentum from the batch features (the reference's LinearAverage).
 */
import * as tf from '@tensorflow/tfjs-core';
import { maxTensorBytes } from '../webgpu-device.ts';

export class MemoryBankError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MemoryBankError';
  }
}

export class MemoryBank {
  /** [N, D] float32, row i = memory of training sample i. Not trainable. */
  readonly memory: tf.Variable<tf.Rank.R2>;
  /** [N] int32, class of every memory row. */
  readonly labels: tf.Tensor1D;
  /** The same labels on the JS side (for kNN and diagnostics). */
  readonly labelArray: Int32Array;
  readonly size: number;
  readonly dim: number;
  private disposed = false;

  private constructor(memory: tf.Tensor2D, labels: Int32Array) {
    const [n, d] = memory.shape;
    if (labels.length !== n) {
      throw new MemoryBankError(`MemoryBank: ${labels.length} labels for ${n} memory rows`);
    }
    for (let i = 0; i < n; i++) {
      if (!(labels[i]! >= 0)) throw new MemoryBankError(`MemoryBank: label ${labels[i]} of row ${i} is negative`);
    }
    const limit = maxTensorBytes();
    if (n * d * 4 > limit) {
      throw new MemoryBankError(
        `MemoryBank: ${n}×${d} float32 (${mib(n * d * 4)}) is more than this GPU's largest storage buffer (${mib(limit)}); ` +
          'train on the tensorflow-gpu, tensorflow or wasm backend, or use a smaller low-dimensional embedding');
    }
    this.size = n;
    this.dim = d;
    this.labelArray = Int32Array.from(labels);
    this.memory = tf.variable(memory, false, undefined, 'float32');
    this.labels = tf.tensor1d(this.labelArray, 'int32');
  }

  /**
   * The reference initialisation: every entry uniform in ±1/sqrt(D/3)
   * (`stdv = 1/math.sqrt(inputSize/3); memory.uniform_(-stdv, stdv)`), so rows are not unit
   * length. Deterministic in `seed` on every backend (drawn in JS).
   */
  static initUniform(n: number, d: number, labels: Int32Array, seed: number): MemoryBank {
    if (!Number.isInteger(n) || n < 1 || !Number.isInteger(d) || d < 1) {
      throw new MemoryBankError(`MemoryBank: size ${n}×${d} is not a positive integer shape`);
    }
    const stdv = 1 / Math.sqrt(d / 3);
    const values = new Float32Array(n * d);
    const next = uniformSource(seed);
    for (let i = 0; i < values.length; i++) values[i] = -stdv + 2 * stdv * next();
    const init = tf.tensor2d(values, [n, d]);
    try {
      return new MemoryBank(init, labels);
    } finally {
      init.dispose();
    }
  }

  /** A bank holding given rows (e.g. from a checkpoint). */
  static fromArray(values: Float32Array, n: number, d: number, labels: Int32Array): MemoryBank {
    if (values.length !== n * d) {
      throw new MemoryBankError(`MemoryBank: ${values.length} values do not make a ${n}×${d} memory`);
    }
    const init = tf.tensor2d(values, [n, d]);
    try {
      return new MemoryBank(init, labels);
    } finally {
      init.dispose();
    }
  }

  /**
   * M[k] ← normalise(m·M[k] + (1 − m)·x_i) for k = indexes[i]; all other rows keep their
   * exact bits. Uses the memory as it is before the call, like the reference backward.
   * `indexes` must be distinct (the batch of one step never repeats a sample).
   */
  update(x: tf.Tensor2D, indexes: tf.Tensor1D, momentum: number): void {
    this.checkAlive();
    if (x.rank !== 2 || x.shape[1] !== this.dim) {
      throw new MemoryBankError(`MemoryBank.update: features must be [B, ${this.dim}], got [${x.shape}]`);
    }
    if (indexes.rank !== 1 || indexes.shape[0] !== x.shape[0] || indexes.dtype !== 'int32') {
      throw new MemoryBankError(`MemoryBank.update: indexes must be int32 [${x.shape[0]}], got ${indexes.dtype} [${indexes.shape}]`);
    }
    if (!(momentum >= 0 && momentum <= 1)) {
      throw new MemoryBankError(`MemoryBank.update: momentum must be in [0, 1], got ${momentum}`);
    }
    const next = tf.tidy(() => {
      const old = tf.gather(this.memory, indexes);
      const w = tf.add(tf.mul(old, momentum), tf.mul(x, 1 - momentum));
      const rows = tf.div(w, tf.sqrt(tf.sum(tf.square(w), 1, true)));
      // Writes whole rows; every other element is copied unchanged.
      return tf.tensorScatterUpdate(this.memory, tf.reshape(indexes, [-1, 1]), rows);
    });
    this.memory.assign(next);
    next.dispose();
  }

  /** A copy of the memory, row-major [N·D], for checkpoints (read asynchronously: GPU backends have no synchronous read in Node). */
  async read(): Promise<Float32Array> {
    this.checkAlive();
    return Float32Array.from(await this.memory.data<'float32'>());
  }

  /** Replaces the memory with row-major [N·D] values (e.g. from a checkpoint). */
  write(values: Float32Array): void {
    this.checkAlive();
    if (values.length !== this.size * this.dim) {
      throw new MemoryBankError(
        `MemoryBank.write: expected ${this.size}×${this.dim} = ${this.size * this.dim} values, got ${values.length}`);
    }
    const t = tf.tensor2d(values, [this.size, this.dim]);
    this.memory.assign(t);
    t.dispose();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.memory.dispose();
    this.labels.dispose();
  }

  private checkAlive(): void {
    if (this.disposed) throw new MemoryBankError('MemoryBank: used after dispose()');
  }
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

/**
 * Uniform floats in [0, 1) from a 32-bit seed: a splitmix-style hash spreads the seed
 * into the state of sfc32 (fast, good enough for an initialisation, and the same bits on
 * every platform and backend, unlike tf.randomUniform).
 */
function uniformSource(seed: number): () => number {
  let h = seed >>> 0;
  const mix = () => {
    h = (h + 0x9e3779b9) >>> 0;
    let z = h;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = mix();
  let b = mix();
  let c = mix();
  let d = mix();
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
}
