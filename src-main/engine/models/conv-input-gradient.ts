/**
 * dL/dx of an NHWC conv2d computed as a forward convolution, so it runs on the backend's fast
 * conv kernel (XNNPACK on wasm) instead of Conv2DBackpropInput, which tfjs-backend-wasm
 * implements as a scalar loop (~1 GFLOP/s, measured: 10× slower than the forward conv and
 * ~45% of a CIFAR ResNet-18 training step).
 *
 * For a conv with kernel k, stride s, symmetric padding p:
 *   dx = conv2d(z(dy), flip(W)ᵀ, stride 1, padding [k-1-p, k-1-p + extra])
 * where z inserts s-1 zeros between the rows and columns of dy (identity for s = 1), flip
 * rotates the kernel by 180° and ᵀ swaps its in/out channels. `extra` covers the input
 * rows/cols a strided conv never reached (e.g. the last row of an odd-sized input).
 * For s = 2 three quarters of the multiplications are with inserted zeros; the stride-2
 * convs are 3 of a ResNet's ~20, and XNNPACK at 4× the FLOPs still beats the scalar kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { flipFilterTransposed } from '../kernels/flip-filter.ts';

/** Whether conv2dInputGradient handles these conv attributes (else use the Conv2DBackpropInput kernel). */
export function canUseConvForInputGradient(attrs: {
  pad: unknown;
  strides: unknown;
  dilations?: unknown;
  dataFormat?: unknown;
  dimRoundingMode?: unknown;
}): boolean {
  const one = (v: unknown): boolean => v === undefined || v === 1 || (Array.isArray(v) && v.every((d) => d === 1));
  const strideOk = typeof attrs.strides === 'number' || (Array.isArray(attrs.strides) && attrs.strides.length === 2);
  return typeof attrs.pad === 'number' && strideOk && one(attrs.dilations) &&
    (attrs.dataFormat === undefined || attrs.dataFormat === 'NHWC') && attrs.dimRoundingMode == null;
}

/** Inserts s-1 zeros after every row (axis 1) and column (axis 2): [B, H, W, C] → [B, sH, sW, C]. */
function insertZeros(dy: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return dy;
  const [b, h, w, c] = dy.shape;
  const expanded = tf.reshape(dy, [b, h, 1, w, 1, c]);
  const padded = tf.pad(expanded, [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
  return tf.reshape(padded, [b, h * sh, w * sw, c]);
}

export function conv2dInputGradient(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  xShape: [number, number, number, number],
  strides: number | [number, number],
  pad: number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
    const [kh, kw] = filter.shape;
    const [, inH, inW] = xShape;
    // Rows of z(dy) that matter: the last dy row sits at (outH - 1)·s; the s-1 zeros after it
    // only count if the input extends that far.
    let z = insertZeros(dy, sh, sw);
    const padT = kh - 1 - pad;
    const padL = kw - 1 - pad;
    if (padT < 0 || padL < 0) throw new Error(`conv padding ${pad} larger than kernel-1 is not supported here`);
    // Conv output rows = len + padT + padB - kh + 1 must equal inH.
    let padB = inH + kh - 1 - padT - z.shape[1];
    let padR = inW + kw - 1 - padL - z.shape[2];
    if (padB < 0 || padR < 0) {
      z = tf.slice(z, [0, 0, 0, 0], [-1, z.shape[1] + Math.min(0, padB), z.shape[2] + Math.min(0, padR), -1]);
      padB = Math.max(0, padB);
      padR = Math.max(0, padR);
    }
    const flipped = flipFilterTransposed(filter);
    return tf.conv2d(z, flipped, 1, [[0, 0], [padT, padB], [padL, padR], [0, 0]]);
  });
}
