import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { benchModelForward } from './models.ts';
await tf.setBackend('wasm'); await tf.ready();
const [arch, b, s] = process.argv.slice(2);
console.log(arch, b, JSON.stringify(await benchModelForward(arch as any, Number(b), Number(s))));
