/**
 * dL/dx of an NHWC conv2d computed as a forward convolution, so it runs on the backend's fast
 * conv kernel (XNNPACK on wasm) instead of Conv2DBackpropInput, which tfjs-backend-wasm
 * implements as a scalar loop, many times slower than the forward conv and a large share of
 * a CIFAR ResNet-18 training step (README, engine measurements).
 *
 * For a conv with kernel k, stride 1, symmetric padding p:
 *   dx = conv2d(dy, flip(W)ᵀ, stride 1, padding [k-1-p, k-1-p + extra])
 * where flip rotates the kernel by 180° and ᵀ swaps its in/out channels; `extra` covers
 * input rows/cols the conv never reached. A strided conv splits into one such correlation
 * per output phase (stridedInputGradient), so no multiplication is spent on the zeros the
 * textbook form inserts between dy's rows and columns (3/4 of them for stride 2).
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

/**
 * One output phase of a strided conv's input gradient along one axis: input positions
 * i = s·q + t. They receive the taps k ≡ (t + p) mod s only, k = r + s·m (m < taps), from
 * dy[q + c - m] with c = floor((t + p) / s): a stride-1 correlation of dy with those taps
 * reversed, padded by `before` (negative: that many leading dy rows are cut) and `after`.
 */
interface Phase {
  /** First tap (r) and number of taps (0: this phase gets no gradient). */
  readonly first: number;
  readonly taps: number;
  /** Output positions of this phase (q < count). */
  readonly count: number;
  readonly before: number;
  readonly after: number;
}

function phase(t: number, s: number, k: number, p: number, inLen: number, outLen: number): Phase {
  const first = (t + p) % s;
  const taps = first >= k ? 0 : Math.ceil((k - first) / s);
  const count = Math.ceil((inLen - t) / s);
  const c = Math.floor((t + p) / s);
  const before = taps - 1 - c;
  // Correlation output length = outLen + before + after - taps + 1 must equal count.
  const after = count - outLen - before + taps - 1;
  return { first, taps, count, before, after };
}

/** dy cut and padded along axes 1 and 2 as the two phases need (a conv takes only non-negative padding). */
function cutForPhases(dy: tf.Tensor4D, ph: Phase, pw: Phase): { z: tf.Tensor4D; pad: [[number, number], [number, number]] } {
  const [, oh, ow] = dy.shape;
  const cutTop = Math.max(0, -ph.before);
  const cutLeft = Math.max(0, -pw.before);
  const cutBottom = Math.max(0, -ph.after);
  const cutRight = Math.max(0, -pw.after);
  const z = cutTop || cutLeft || cutBottom || cutRight
    ? tf.slice(dy, [0, cutTop, cutLeft, 0], [-1, oh - cutTop - cutBottom, ow - cutLeft - cutRight, -1])
    : dy;
  return {
    z,
    pad: [[Math.max(0, ph.before), Math.max(0, ph.after)], [Math.max(0, pw.before), Math.max(0, pw.after)]],
  };
}

/**
 * Strided convs: the input gradient split into s_h·s_w phase convolutions, each with the
 * taps that reach that phase, interleaved at the end. Every multiplication is a useful one
 * (the zero-insertion form spends 3/4 of a stride-2 conv's on inserted zeros).
 */
function stridedInputGradient(dy: tf.Tensor4D, filter: tf.Tensor4D, xShape: [number, number, number, number], sh: number, sw: number, pad: number): tf.Tensor4D {
  const [b, inH, inW, cin] = xShape;
  const [kh, kw] = filter.shape;
  const [, oh, ow] = dy.shape;
  const qh = Math.ceil(inH / sh);
  const qw = Math.ceil(inW / sw);
  const rows: tf.Tensor[] = [];
  for (let th = 0; th < sh; th++) {
    const ph = phase(th, sh, kh, pad, inH, oh);
    const cols: tf.Tensor[] = [];
    for (let tw = 0; tw < sw; tw++) {
      const pw = phase(tw, sw, kw, pad, inW, ow);
      let part: tf.Tensor4D;
      if (ph.taps === 0 || pw.taps === 0 || ph.count <= 0 || pw.count <= 0) {
        part = tf.zeros([b, Math.max(0, ph.count), Math.max(0, pw.count), cin]);
      } else {
        // Taps first + s·m (m < taps), reversed: in flipped coordinates a strided run
        // starting at k-1-first-s·(taps-1).
        const taps = flipFilterTransposed(filter, {
          startH: kh - 1 - ph.first - sh * (ph.taps - 1),
          startW: kw - 1 - pw.first - sw * (pw.taps - 1),
          stepH: sh,
          stepW: sw,
          tapsH: ph.taps,
          tapsW: pw.taps,
        });
        const { z, pad: [padH, padW] } = cutForPhases(dy, ph, pw);
        part = tf.conv2d(z, taps, 1, [[0, 0], padH, padW, [0, 0]]);
      }
      // Equal phase sizes for the interleave; the extra row/column is cut below.
      if (part.shape[1] < qh || part.shape[2] < qw) part = tf.pad(part, [[0, 0], [0, qh - part.shape[1]], [0, qw - part.shape[2]], [0, 0]]);
      cols.push(tf.reshape(part, [b, qh, 1, qw, 1, cin]));
    }
    rows.push(cols.length === 1 ? cols[0]! : tf.concat(cols, 4));
  }
  const interleaved = tf.reshape(rows.length === 1 ? rows[0]! : tf.concat(rows, 2), [b, qh * sh, qw * sw, cin]) as tf.Tensor4D;
  return qh * sh === inH && qw * sw === inW ? interleaved : tf.slice(interleaved, [0, 0, 0, 0], [-1, inH, inW, -1]);
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
    if (pad > kh - 1 || pad > kw - 1) throw new Error(`conv padding ${pad} larger than kernel-1 is not supported here`);
    if (sh !== 1 || sw !== 1) return stridedInputGradient(dy, filter, xShape, sh, sw, pad);
    const [, inH, inW] = xShape;
    // Stride 1: one correlation of dy with the flipped filter, padded by k-1-p.
    const ph = phase(0, 1, kh, pad, inH, dy.shape[1]);
    const pw = phase(0, 1, kw, pad, inW, dy.shape[2]);
    const { z, pad: [padH, padW] } = cutForPhases(dy, ph, pw);
    return tf.conv2d(z, flipFilterTransposed(filter), 1, [[0, 0], padH, padW, [0, 0]]);
  });
}
