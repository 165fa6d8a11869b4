/**
 * SGD with momentum, dampening, weight decay and Nesterov, exactly as torch.optim.SGD
 * (which the reference trains with):
 *
 *   d_p = g + wd·p
 *   buf = d_p                                   on a parameter's first step
 *   buf = momentum·buf + (1 − dampening)·d_p    afterwards
 *   d_p = d_p + momentum·buf   (Nesterov)   or   d_p = buf   (momentum ≠ 0)
 *   p  -= lr·d_p
 */
import * as tf from '@tensorflow/tfjs-core';

export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export class SgdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SgdError';
  }
}

export class SGD {
  private lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  /** Momentum buffers by parameter name; absent until the parameter's first step. */
  private readonly buffers = new Map<string, tf.Tensor>();

  constructor(opts: SgdOptions) {
    const { lr, momentum = 0, dampening = 0, weightDecay = 0, nesterov = false } = opts;
    checkNonNegative('lr', lr);
    checkNonNegative('momentum', momentum);
    checkNonNegative('weightDecay', weightDecay);
    if (!(dampening >= 0 && dampening <= 1)) throw new SgdError(`SGD: dampening must be in [0, 1], got ${dampening}`);
    // torch.optim.SGD refuses this combination for the same reason: Nesterov needs a momentum.
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw new SgdError('SGD: Nesterov momentum requires momentum > 0 and dampening = 0');
    }
    this.lr = lr;
    this.momentum = momentum;
    this.dampening = dampening;
    this.weightDecay = weightDecay;
    this.nesterov = nesterov;
  }

  get learningRate(): number {
    return this.lr;
  }

  setLr(lr: number): void {
    checkNonNegative('lr', lr);
    this.lr = lr;
  }

  /**
   * One update of every parameter that has a gradient in `grads` (matched by name);
   * parameters without one are left alone, as PyTorch skips `p.grad is None`.
   */
  step(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>): void {
    for (const [name, g] of grads) {
      const p = params.get(name);
      if (!p) throw new SgdError(`SGD.step: gradient for unknown parameter "${name}"`);
      if (!sameShape(p.shape, g.shape)) {
        throw new SgdError(`SGD.step: gradient of "${name}" has shape [${g.shape}], the parameter [${p.shape}]`);
      }
    }
    for (const [name, g] of grads) {
      const p = params.get(name)!;
      const prev = this.buffers.get(name);
      const { next, buf } = tf.tidy((() => {
        let dp: tf.Tensor = this.weightDecay !== 0 ? tf.add(g, tf.mul(p, this.weightDecay)) : g;
        let newBuf: tf.Tensor | null = null;
        if (this.momentum !== 0) {
          newBuf = prev
            ? tf.add(tf.mul(prev, this.momentum), this.dampening !== 0 ? tf.mul(dp, 1 - this.dampening) : dp)
            : tf.clone(dp);
          dp = this.nesterov ? tf.add(dp, tf.mul(newBuf, this.momentum)) : newBuf;
        }
        return { next: tf.sub(p, tf.mul(dp, this.lr)), buf: newBuf };
      }) as unknown as () => tf.TensorContainer) as unknown as { next: tf.Tensor; buf: tf.Tensor | null };
      p.assign(next);
      next.dispose();
      if (buf) {
        prev?.dispose();
        this.buffers.set(name, buf);
      }
    }
  }

  /** Momentum buffers (copies), by parameter name, for checkpoints. */
  async state(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const [name, buf] of this.buffers) out.set(name, Float32Array.from(await buf.data<'float32'>()));
    return out;
  }

  /**
   * Restores momentum buffers saved by `state()`. Shapes come from `params`; a buffer for
   * an unknown parameter or of the wrong size is an error. Parameters absent from `state`
   * start fresh (their next step initialises the buffer, as in PyTorch).
   */
  loadState(state: Map<string, Float32Array>, params: Map<string, tf.Variable>): void {
    const loaded = new Map<string, tf.Tensor>();
    try {
      for (const [name, values] of state) {
        const p = params.get(name);
        if (!p) throw new SgdError(`SGD.loadState: momentum buffer for unknown parameter "${name}"`);
        if (values.length !== p.size) {
          throw new SgdError(`SGD.loadState: momentum buffer of "${name}" has ${values.length} values, the parameter ${p.size}`);
        }
        loaded.set(name, tf.tensor(values, p.shape, 'float32'));
      }
    } catch (e) {
      for (const t of loaded.values()) t.dispose();
      throw e;
    }
    this.disposeBuffers();
    for (const [name, t] of loaded) this.buffers.set(name, t);
  }

  dispose(): void {
    this.disposeBuffers();
  }

  private disposeBuffers(): void {
    for (const t of this.buffers.values()) t.dispose();
    this.buffers.clear();
  }
}

function checkNonNegative(name: string, v: number): void {
  if (!(v >= 0) || !Number.isFinite(v)) throw new SgdError(`SGD: ${name} must be a finite number ≥ 0, got ${v}`);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
