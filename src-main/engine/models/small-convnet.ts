/**
 * The offline MNIST demo network: conv3×3(32, pad 1) – ReLU – maxpool 2 – conv3×3(64, pad 1)
 * – ReLU – maxpool 2 – flatten – linear(lowDim) – L2 normalise. PyTorch names:
 * conv1.weight, conv1.bias, conv2.weight, conv2.bias, fc.weight, fc.bias; default torch init.
 *
 * The flatten happens on the NHWC map (a free reshape); fc.weight is stored with its rows
 * in NHWC order and permuted to torch's NCHW-flatten order on export (torch-layout.ts,
 * 'linear-nchw-flatten'), so a torch module doing torch.flatten(x, 1) on NCHW computes the
 * same embedding with the exported weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { InitContext } from './initializers.ts';
import { Conv2d } from './layers/conv2d.ts';
import { l2Normalize } from './layers/l2-normalize.ts';
import { Linear } from './layers/linear.ts';
import { maxPool2d } from './layers/pooling.ts';
import type { BuildOptions, Model, StateDictSlot } from './model-contract.ts';
import { ModelConfigError } from './model-errors.ts';
import { ParameterStore } from './parameter-store.ts';
import { checkInput } from './input-check.ts';

export function buildSmallConvNet(opts: BuildOptions): Model {
  const [h, w, c] = opts.inputShape;
  if (h < 4 || w < 4) {
    throw new ModelConfigError(`small-convnet needs an input of at least 4×4 (two 2× max-pools), got ${h}×${w}`);
  }
  const store = new ParameterStore('small-convnet');
  const ctx: InitContext = { seed: opts.seed };
  const conv = (name: string, cin: number, cout: number): Conv2d =>
    new Conv2d(store, ctx, name, { inChannels: cin, outChannels: cout, kernel: 3, stride: 1, padding: 1, bias: true, init: 'torch-default' });
  const conv1 = conv('conv1', c, 32);
  const conv2 = conv('conv2', 32, 64);
  // max-pool 2 with floor twice, as torch's MaxPool2d(2) does
  const fh = Math.floor(Math.floor(h / 2) / 2);
  const fw = Math.floor(Math.floor(w / 2) / 2);
  const fc = new Linear(store, ctx, 'fc', fh * fw * 64, opts.lowDim, {
    kind: 'linear-nchw-flatten',
    height: fh,
    width: fw,
    channels: 64,
  });

  const inputShape = opts.inputShape;
  return {
    arch: 'small-convnet',
    lowDim: opts.lowDim,
    inputShape,
    params: store.params,
    buffers: store.buffers,
    stateDict: store.slots as readonly StateDictSlot[],
    apply(x: tf.Tensor4D, _training: boolean): tf.Tensor2D {
      checkInput('small-convnet', x, inputShape, { exactSize: true });
      return tf.tidy(() => {
        // relu(maxPool(z)) = maxPool(relu(z)) (ReLU is monotone), and so is the gradient
        // under the first-maximum rule: a window whose maximum is ≤ 0 gets none either way.
        // The ReLU then runs on the 4× smaller pooled map, forward and backward.
        let y = tf.relu(maxPool2d(conv1.apply(x, false), 2, 2, 0));
        y = tf.relu(maxPool2d(conv2.apply(y, false), 2, 2, 0));
        const flat = tf.reshape<tf.Rank.R2>(y, [y.shape[0], fh * fw * 64]);
        return l2Normalize(fc.apply(flat));
      });
    },
    dispose(): void {
      store.dispose();
    },
  };
}
