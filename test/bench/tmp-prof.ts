import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { createModel } from '../../src-main/engine/models/model.ts';
import { registerWasmConv2DBackpropFilter } from '../../src-main/engine/kernels/wasm-conv2d-backprop-filter.ts';
await tf.setBackend('wasm'); await tf.ready(); registerWasmConv2DBackpropFilter();
const [arch, bs] = process.argv.slice(2); const B = Number(bs);
const model = createModel(arch as any, {});
const [h,w,c] = model.inputShape;
const x = tf.randomNormal([B,h,w,c]) as tf.Tensor4D; const r = tf.randomNormal([B, 128]);
const params = [...model.params.values()];
const step = () => { const { value, grads } = tf.variableGrads(() => tf.div(tf.sum(tf.mul(model.apply(x, true), r)), B), params); value.dataSync(); tf.dispose([value, ...Object.values(grads)]); };
step();
let t0 = performance.now(); step(); console.log('step ms', performance.now() - t0);
t0 = performance.now(); tf.tidy(() => model.apply(x, true).dataSync()); console.log('fwd train ms', performance.now() - t0);
t0 = performance.now(); tf.tidy(() => model.apply(x, false).dataSync()); console.log('fwd eval ms', performance.now() - t0);
const prof = await tf.profile(() => { step(); });
const agg = new Map<string, {ms: number; n: number}>();
for (const k of prof.kernels) { const a = agg.get(k.name) ?? {ms: 0, n: 0}; a.ms += k.kernelTimeMs as number; a.n++; agg.set(k.name, a); }
console.log([...agg].sort((a,b)=>b[1].ms-a[1].ms).slice(0,16).map(([k,v])=>`${k}: ${v.ms.toFixed(1)}ms x${v.n}`).join('\n'));
