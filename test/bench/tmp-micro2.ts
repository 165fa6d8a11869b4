import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend('wasm'); await tf.ready();
function time(label: string, f: () => tf.Tensor, reps = 5) {
  tf.tidy(() => { f().dataSync(); });
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) { const t0 = performance.now(); tf.tidy(() => { f().dataSync(); }); ts.push(performance.now() - t0); }
  ts.sort((a, b) => a - b);
  console.log(label, 'median', ts[Math.floor(reps / 2)]!.toFixed(2), 'min', ts[0]!.toFixed(2), 'ms');
}
const y = tf.randomNormal([128,14,14,32]) as tf.Tensor4D;
time('tile', () => tf.reshape(tf.tile(tf.reshape(y, [128,14,1,14,1,32]), [1,1,2,1,2,1]), [128,28,28,32]));
time('resizeNN', () => tf.image.resizeNearestNeighbor(y, [28, 28]));
time('broadcast mul 6d', () => tf.reshape(tf.mul(tf.reshape(y, [128,14,1,14,1,32]), tf.ones([1,1,2,1,2,1])), [128,28,28,32]));
time('concat x2 x2', () => { const a = tf.reshape(y, [128,14,1,14,1,32]); const b = tf.concat([a, a], 4); const c = tf.concat([b, b], 2); return tf.reshape(c, [128,28,28,32]); });
const x = tf.randomNormal([128,28,28,32]) as tf.Tensor4D;
time('maxPool', () => tf.maxPool(x, 2, 2, 'valid'));
time('maxPoolGrad kernel', () => tf.engine().runKernel('MaxPoolGrad', {dy: y, input: x, output: tf.maxPool(x, 2, 2, 'valid')}, {filterSize: 2, strides: 2, pad: 'valid'} as any) as tf.Tensor);
