/**
 * Top-k of every row of a wide similarity matrix, with tf.topk doing the selection on a
 * short candidate list.
 *
 * Why: wasm's TopK sorts each whole row, which costs as much as the matmul that produced
 * the similarities. So the columns are split into G = c / size strided groups (group g
 * holds columns g, g + G, g + 2G, …), each group's maximum is taken (a max-pool, which
 * XNNPACK vectorises), tf.topk picks the k best groups, and a
 * second tf.topk runs over those groups' k·size members. Exact: a group containing one of
 * the row's k largest values has a maximum at least that large, and at most k groups can
 * reach the k-th largest value.
 *
 * The two per-row gathers are small JS kernels on wasm: its GatherV2 is a slow generic
 * loop, and with batchDims = 1 it returns wrong rows (tfjs-backend-wasm 4.22).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

const GATHER_PER_ROW = 'SncaGatherPerRow';
const GATHER_GROUPS = 'SncaGatherStridedGroups';

/** Columns per group. */
export const GROUP_SIZE = 16;

interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: 'float32' | 'int32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array;
}

/** out[r, j] = x[r, idx[r, j]]; x float32 or int32 [q, m], idx int32 [q, k]. */
const gatherPerRowKernel = ((args: { inputs: { x: TensorInfo; indices: TensorInfo }; backend: unknown }) => {
  const { x, indices } = args.inputs;
  const backend = args.backend as WasmHeapBackend;
  const [q, m] = x.shape as [number, number];
  const k = indices.shape[1]!;
  const out = backend.makeOutput([q, k], x.dtype as 'float32' | 'int32');
  const src = backend.typedArrayFromHeap(x);
  const idx = backend.typedArrayFromHeap(indices) as Int32Array;
  const dst = backend.typedArrayFromHeap(out);
  for (let r = 0; r < q; r++) {
    for (let j = 0; j < k; j++) {
      const c = idx[r * k + j]!;
      if (!(c >= 0 && c < m)) throw new RangeError(`${GATHER_PER_ROW}: index ${c} outside [0, ${m})`);
      dst[r * k + j] = src[r * m + c]!;
    }
  }
  return out;
}) as unknown as KernelFunc;

/** out[r, j, h] = sims[r, h·G + groups[r, j]] for sims [q, size·G], groups int32 [q, k]. */
const gatherGroupsKernel = ((args: { inputs: { x: TensorInfo; indices: TensorInfo }; backend: unknown; attrs: unknown }) => {
  const { x, indices } = args.inputs;
  const { size } = args.attrs as { size: number };
  const backend = args.backend as WasmHeapBackend;
  const [q, c] = x.shape as [number, number];
  const groups = c / size;
  const k = indices.shape[1]!;
  const out = backend.makeOutput([q, k, size], 'float32');
  const src = backend.typedArrayFromHeap(x);
  const idx = backend.typedArrayFromHeap(indices) as Int32Array;
  const dst = backend.typedArrayFromHeap(out);
  let o = 0;
  for (let r = 0; r < q; r++) {
    const row = r * c;
    for (let j = 0; j < k; j++) {
      const g = idx[r * k + j]!;
      if (!(g >= 0 && g < groups)) throw new RangeError(`${GATHER_GROUPS}: group ${g} outside [0, ${groups})`);
      for (let h = 0, s = row + g; h < size; h++, s += groups) dst[o++] = src[s]!;
    }
  }
  return out;
}) as unknown as KernelFunc;

const configs: KernelConfig[] = [
  { kernelName: GATHER_PER_ROW, backendName: 'wasm', kernelFunc: gatherPerRowKernel },
  { kernelName: GATHER_GROUPS, backendName: 'wasm', kernelFunc: gatherGroupsKernel },
];

export function registerWasmGroupedTopKKernels(): void {
  for (const c of configs) if (!tf.getKernel(c.kernelName, c.backendName)) tf.registerKernel(c);
}

const onWasm = () => tf.getBackend() === 'wasm';

/** out[r, j] = x[r, idx[r, j]] for x [q, m] (float32 or int32) and int32 idx [q, k]. */
export function gatherPerRow<T extends tf.Tensor2D>(x: T, idx: tf.Tensor2D): T {
  if (onWasm()) {
    registerWasmGroupedTopKKernels();
    return tf.engine().runKernel(GATHER_PER_ROW, { x, indices: idx }) as T;
  }
  return tf.tidy(() => {
    const [q, m] = x.shape;
    const k = idx.shape[1];
    const offsets = tf.reshape(tf.mul(tf.range(0, q, 1, 'int32'), tf.scalar(m, 'int32')), [q, 1]);
    const flat = tf.reshape(tf.add(idx, offsets), [q * k]);
    return tf.reshape(tf.gather(tf.reshape(x, [q * m]), flat), [q, k]) as T;
  });
}

function gatherGroups(sims: tf.Tensor2D, groupIds: tf.Tensor2D, size: number): tf.Tensor3D {
  if (onWasm()) {
    registerWasmGroupedTopKKernels();
    return tf.engine().runKernel(GATHER_GROUPS, { x: sims, indices: groupIds }, { size } as unknown as tf.NamedAttrMap) as tf.Tensor3D;
  }
  return tf.tidy(() => {
    const [q, c] = sims.shape;
    const groups = c / size;
    const k = groupIds.shape[1];
    // [q, G, size]: row g lists group g's members.
    const byGroup = tf.reshape(tf.transpose(tf.reshape(sims, [q, size, groups]), [0, 2, 1]), [q * groups, size]);
    const offsets = tf.reshape(tf.mul(tf.range(0, q, 1, 'int32'), tf.scalar(groups, 'int32')), [q, 1]);
    const flat = tf.reshape(tf.add(groupIds, offsets), [q * k]);
    return tf.reshape(tf.gather(byGroup, flat), [q, k, size]) as tf.Tensor3D;
  });
}

/**
 * The k largest values of every row of sims [q, c] and their column indices (int32),
 * values descending, exactly as tf.topk(sims, k) up to the order of equal values.
 */
export function groupedTopK(sims: tf.Tensor2D, k: number): { values: tf.Tensor2D; indices: tf.Tensor2D } {
  const [q, c] = sims.shape;
  const size = GROUP_SIZE;
  const groups = c / size;
  if (!Number.isInteger(groups) || groups < 4 * k) {
    const r = tf.topk(sims, Math.min(k, c));
    return { values: r.values as tf.Tensor2D, indices: r.indices as tf.Tensor2D };
  }
  const out = tf.tidy(() => {
    const maxima = tf.reshape(
      tf.maxPool(tf.reshape(sims, [q, size, 1, groups]) as tf.Tensor4D, [size, 1], [size, 1], 'valid'),
      [q, groups],
    ) as tf.Tensor2D;
    const best = tf.topk(maxima, k).indices as tf.Tensor2D; // group ids, [q, k]
    const top = tf.topk(tf.reshape(gatherGroups(sims, best, size), [q, k * size]), k);
    const slot = top.indices as tf.Tensor2D; // j·size + h
    const s = tf.scalar(size, 'int32'); // a plain number would turn the int32 maths float
    const group = gatherPerRow(best, tf.floorDiv(slot, s) as tf.Tensor2D);
    const col = tf.add(group, tf.mul(tf.mod(slot, s), tf.scalar(groups, 'int32')));
    return [top.values, col] as [tf.Tensor2D, tf.Tensor2D];
  });
  return { values: out[0], indices: out[1] };
}
