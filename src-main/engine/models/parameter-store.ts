/**
 * Owns a model's tfjs variables and records them in PyTorch state_dict order. Layers
 * register here as they are built, which is the order torch registers submodules, so the
 * recorded order is the state_dict order (the layout fixture test checks this).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { StateDictSlot } from './model-contract.ts';
import { tfjsShapeOf, type TorchLayout } from './torch-layout.ts';

let modelCounter = 0;

export class ParameterStore {
  readonly params = new Map<string, tf.Variable>();
  readonly buffers = new Map<string, tf.Variable>();
  readonly slots: StateDictSlot[] = [];
  /** tfjs variable names are global to the engine; the prefix keeps two models apart. */
  private readonly prefix: string;

  constructor(arch: string) {
    modelCounter += 1;
    this.prefix = `${arch}#${modelCounter}/`;
  }

  /** `values` are in tfjs layout. */
  addParam(name: string, torchShape: readonly number[], layout: TorchLayout, values: Float32Array): tf.Variable {
    const v = this.makeVariable(name, torchShape, layout, values, true, 'float32');
    this.params.set(name, v);
    this.slots.push({ name, role: 'param', torchShape, torchDtype: 'float32', layout, variable: v });
    return v;
  }

  addFloatBuffer(name: string, torchShape: readonly number[], values: Float32Array): tf.Variable {
    const v = this.makeVariable(name, torchShape, { kind: 'same' }, values, false, 'float32');
    this.buffers.set(name, v);
    this.slots.push({ name, role: 'buffer', torchShape, torchDtype: 'float32', layout: { kind: 'same' }, variable: v });
    return v;
  }

  /** A scalar counter: int64 in torch, int32 here (tfjs has no int64; 2^31 batches is out of reach). */
  addCounterBuffer(name: string): tf.Variable {
    const v = this.makeVariable(name, [], { kind: 'same' }, new Int32Array([0]), false, 'int32');
    this.buffers.set(name, v);
    this.slots.push({ name, role: 'buffer', torchShape: [], torchDtype: 'int64', layout: { kind: 'same' }, variable: v });
    return v;
  }

  dispose(): void {
    for (const s of this.slots) if (!s.variable.isDisposed) s.variable.dispose();
  }

  private makeVariable(
    name: string,
    torchShape: readonly number[],
    layout: TorchLayout,
    values: Float32Array | Int32Array,
    trainable: boolean,
    dtype: 'float32' | 'int32',
  ): tf.Variable {
    if (this.params.has(name) || this.buffers.has(name)) throw new Error(`state_dict name ${name} registered twice`);
    const shape = tfjsShapeOf(torchShape, layout);
    const t = tf.tensor(values, shape, dtype);
    const v = tf.variable(t, trainable, this.prefix + name, dtype);
    t.dispose();
    return v;
  }
}
