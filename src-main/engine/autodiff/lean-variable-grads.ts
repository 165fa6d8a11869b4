/**
 * tf.variableGrads with a backward pass that frees memory as it goes.
 *
 * Why this exists: tfjs-core 4.22's backward pass (tape.ts backpropagateGradients) keeps
 * every intermediate gradient and every tensor saved for the backward pass alive until the
 * whole gradient computation ends. For a ResNet that is all activations PLUS a gradient for
 * each of them at the bottom of the backward pass, so CIFAR ResNet-18 at the paper's batch
 * of 128 needs more than the 4 GB wasm heap and aborts (README, engine measurements).
 *
 * This walks the same tape in the same order with the same arithmetic (results are
 * bit-identical to tf.variableGrads, see the test), and after each node:
 * - disposes the gradients of the node's outputs (each tensor is produced by exactly one
 *   node, so nothing later reads them), and
 * - disposes the tensors the node saved for its backward pass (each node saves private
 *   clones, so this frees an activation as soon as the backward pass has gone below it).
 *
 * It relies on the engine's tape (state.activeTape, startTape/endTape, node.saved), which
 * tfjs does not export as API. The shape of those internals is checked on every call;
 * when they are not what this expects (another tfjs version) or when gradients are nested,
 * it falls back to tf.variableGrads, which is correct, only hungrier.
 */
import * as tf from '@tensorflow/tfjs-core';

type GradFns = Record<string, () => tf.Tensor>;

interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: Array<tf.Tensor | null>) => GradFns;
}

interface TapeEngine {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  startTape(): void;
  endTape(): void;
}

interface EngineClass {
  nextTensorId: number;
}

function tapeEngine(): { engine: TapeEngine; engineClass: EngineClass } | null {
  const engine = tf.engine() as unknown as Partial<TapeEngine> & { constructor: Partial<EngineClass> };
  const ok =
    typeof engine.startTape === 'function' &&
    typeof engine.endTape === 'function' &&
    typeof engine.state === 'object' &&
    engine.state !== null &&
    typeof engine.state.gradientDepth === 'number' &&
    typeof engine.constructor.nextTensorId === 'number';
  return ok ? { engine: engine as TapeEngine, engineClass: engine.constructor as EngineClass } : null;
}

/** Whether leanVariableGrads can run its own backward pass here (else it falls back). */
export function leanBackwardAvailable(): boolean {
  const t = tapeEngine();
  return t !== null && t.engine.state.gradientDepth === 0;
}

/** The nodes on a path from some x to y, with inputs not depending on any x pruned (as tfjs does). */
function nodesFromXToY(tape: readonly TapeNode[], xs: readonly tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => fromX.has(t.id))) {
      for (const o of node.outputs) fromX.add(o.id);
      nodesFromX.add(node.id);
    }
  }
  const leadToY = new Set<number>([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]!;
    if (node.outputs.some((o) => leadToY.has(o.id))) {
      for (const t of Object.values(node.inputs)) leadToY.add(t.id);
      nodesToY.add(node.id);
    }
  }
  const out: TapeNode[] = [];
  for (const node of tape) {
    if (!nodesFromX.has(node.id) || !nodesToY.has(node.id)) continue;
    const inputs: Record<string, tf.Tensor> = {};
    for (const [name, t] of Object.entries(node.inputs)) if (fromX.has(t.id)) inputs[name] = t;
    out.push({ ...node, inputs });
  }
  return out;
}

function disposeSaved(node: TapeNode): void {
  for (const t of node.saved ?? []) t.dispose();
}

function backpropagate(tape: readonly TapeNode[], grads: Map<number, tf.Tensor>, engineClass: EngineClass): void {
  const held = new Set<tf.Tensor>(grads.values());
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]!;
    const dys = node.outputs.map((o) => grads.get(o.id) ?? null);
    if (!node.gradient) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
    const gradient = node.gradient;
    const inputs = Object.entries(node.inputs);
    const firstNewId = engineClass.nextTensorId;
    // One tidy around the gradient function AND its per-input thunks: a customGrad node
    // computes its gradients inside gradient(dys) itself, so tidying only the thunks (as
    // tfjs does) would leave every temporary of e.g. the BatchNorm backward alive.
    const dxs = tf.tidy(() => {
      const fns = gradient(dys);
      return inputs.map(([name]) => {
        const fn = fns[name];
        if (!fn) throw new Error(`Cannot backprop through input ${name} of ${node.kernelName}. Available gradients: ${Object.keys(fns).join(', ')}.`);
        return fn();
      });
    });
    for (const [k, [name, x]] of inputs.entries()) {
      let dx = dxs[k]!;
      if (dx.dtype !== 'float32') throw new Error(`Gradient of ${node.kernelName} input ${name} must be float32, got ${dx.dtype}`);
      if (!tf.util.arraysEqual(dx.shape, x.shape)) {
        throw new Error(`Gradient of ${node.kernelName} input ${name} has shape [${dx.shape.join(', ')}], input has [${x.shape.join(', ')}]`);
      }
      // A gradient function may hand back a tensor that already exists (dy itself, a saved
      // tensor) or the same tensor for two inputs: store a clone (same data, own handle) so
      // that freeing one handle later leaves the other intact.
      if (dx.id < firstNewId || held.has(dx) || dxs.some((d, j) => j !== k && d === dx)) dx = dx.clone();
      const current = grads.get(x.id);
      if (current === undefined) {
        grads.set(x.id, dx);
        held.add(dx);
      } else {
        const sum = tf.add(current, dx);
        held.delete(current);
        current.dispose();
        dx.dispose();
        grads.set(x.id, sum);
        held.add(sum);
      }
    }
    for (const o of node.outputs) {
      const g = grads.get(o.id);
      if (g) {
        grads.delete(o.id);
        held.delete(g);
        g.dispose();
      }
    }
    disposeSaved(node);
  }
}

/**
 * Same contract as tf.variableGrads(f, varList): the scalar f() and its gradient for each
 * trainable variable that f depends on, keyed by variable name. Intermediate tensors are
 * freed during the backward pass instead of at its end.
 */
export function leanVariableGrads(f: () => tf.Scalar, varList: tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  const t = tapeEngine();
  if (t === null || t.engine.state.gradientDepth !== 0) return tf.variableGrads(f, varList);
  const { engine, engineClass } = t;
  const xs = varList.filter((v) => v.trainable);
  if (xs.length === 0) throw new Error(`leanVariableGrads needs at least one trainable variable, got ${varList.length} non-trainable`);

  engine.startTape();
  let y: tf.Tensor | undefined;
  try {
    try {
      y = tf.tidy('forward', f);
    } finally {
      engine.endTape();
    }
    if (!(y instanceof tf.Tensor) || y.rank !== 0) {
      throw new Error(`The function passed to leanVariableGrads must return a scalar, got ${y instanceof tf.Tensor ? `rank ${y.rank}` : typeof y}`);
    }
    const value = y as tf.Scalar;
    const filtered = nodesFromXToY(engine.state.activeTape ?? [], xs, value);
    const grads = tf.tidy('backward', () => {
      const byId = new Map<number, tf.Tensor>([[value.id, tf.onesLike(value)]]);
      backpropagate(filtered, byId, engineClass);
      const named: tf.NamedTensorMap = {};
      for (const x of xs) {
        const g = byId.get(x.id);
        if (g) named[x.name] = g;
      }
      return named;
    });
    if (Object.keys(grads).length === 0) {
      throw new Error('Cannot find a connection between any variable and the result of the loss function');
    }
    return { value, grads };
  } catch (e) {
    y?.dispose();
    throw e;
  } finally {
    for (const node of engine.state.activeTape ?? []) disposeSaved(node);
    engine.state.activeTape = null;
  }
}
