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
for (const [B,H,W,C] of [[32,32,32,64],[32,8,8,256],[32,4,4,512]]) {
  const N = B*H*W;
  const x = tf.randomNormal([B,H,W,C]) as tf.Tensor4D; const x2 = tf.reshape(x, [N, C]); const ones = tf.ones([1, N]);
  console.log('shape', B,H,W,C);
  time(' matMul ones', () => tf.matMul(ones, x2));
  time(' avgPool HxW then sum B', () => tf.sum(tf.avgPool(x, [H, W], [H, W], 'valid'), [0,1,2]));
  time(' sum axis0', () => tf.sum(x2, 0));
  time(' mul (elementwise ref)', () => tf.mul(x, x));
  tf.dispose([x, x2, ones]);
}
const f = tf.randomNormal([3,3,256,256]) as tf.Tensor4D;
time('reverse [3,3,256,256] axes 0,1', () => tf.reverse(f, [0, 1]));
time('gather-based flip', () => tf.reshape(tf.gather(tf.reshape(f, [9, 256*256]), tf.tensor1d([8,7,6,5,4,3,2,1,0], 'int32')), [3,3,256,256]));
time('transpose 0,1,3,2', () => tf.transpose(f, [0,1,3,2]));
const flipConcat = (w: tf.Tensor4D) => { const [kh, kw, i, o] = w.shape; const r = tf.reshape(w, [kh*kw, i*o]); const parts: tf.Tensor[] = []; for (let t = kh*kw-1; t >= 0; t--) parts.push(tf.slice(r, [t, 0], [1, i*o])); return tf.reshape(tf.concat(parts, 0), [kh, kw, i, o]); };
time('concat-based flip', () => flipConcat(f));
time('concat-based flip + transpose', () => tf.transpose(flipConcat(f), [0,1,3,2]));
time('reverse 2d axis0', () => tf.reverse(tf.reshape(f, [9, 256*256]), 0));
