/**
 * Reader of the CIFAR "python version": pickled dicts of a uint8 numpy array and label lists.
 * The engine's CIFAR dataset is given it as DatasetReaders.cifarPython.
 */
import { readFile } from 'node:fs/promises';
import { DatasetError } from '../engine/data/data-errors.ts';
import { NdArray, PickleError, PyDict, pyText, unpickle, type PyValue } from './safe-unpickler.ts';
import {
  CIFAR_IMAGE_BYTES,
  CIFAR_TITLE,
  cifarClassCount,
  planarToHwc,
  sharedPixels,
  type CifarKind,
  type CifarSplitData,
} from '../engine/data/cifar-layout.ts';
import type { CifarFormatReader } from '../engine/data/dataset-readers.ts';

async function loadPickle(file: string): Promise<PyDict> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    throw new DatasetError(file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let v: PyValue;
  try {
    v = unpickle(buf, { source: file });
  } catch (e) {
    if (e instanceof PickleError) throw new DatasetError(file, `not a readable CIFAR python batch: ${e.problem} (pickle byte ${e.offset})`);
    throw e;
  }
  if (!(v instanceof PyDict)) throw new DatasetError(file, 'not a CIFAR python batch: the pickle does not hold a dict');
  return v;
}

function intList(v: PyValue | undefined, file: string, key: string): number[] {
  if (!Array.isArray(v)) throw new DatasetError(file, `entry '${key}' is missing or not a list`);
  return v.map((x, i) => {
    if (typeof x !== 'number' || !Number.isInteger(x)) throw new DatasetError(file, `entry '${key}'[${i}] is not an integer`);
    return x;
  });
}

/**
 * One batch's image array and labels, checked against each other and the kind: a C-ordered
 * uint8 (N, 3072) array whose bytes are all there, N integer labels within the class count.
 * The pixels stay a view into the file's bytes.
 */
function batchOf(kind: CifarKind, file: string, d: PyDict): { data: NdArray; labels: number[] } {
  const labelKey = kind === 'cifar10' ? 'labels' : 'fine_labels';
  const numClasses = cifarClassCount(kind);
  const arr = d.get('data');
  if (!(arr instanceof NdArray)) throw new DatasetError(file, "entry 'data' is missing or not a numpy array");
  if (arr.dtype.kind !== 'u' || arr.dtype.itemSize !== 1 || arr.shape.length !== 2 || arr.shape[1] !== CIFAR_IMAGE_BYTES || arr.fortranOrder) {
    throw new DatasetError(file, `entry 'data' must be a C-ordered uint8 array of shape (N, 3072), got ${arr.dtype.str} ${JSON.stringify(arr.shape)}`);
  }
  if (arr.bytes.length !== arr.shape[0]! * CIFAR_IMAGE_BYTES) {
    throw new DatasetError(file, `entry 'data' declares ${arr.shape[0]} images (${arr.shape[0]! * CIFAR_IMAGE_BYTES} bytes) but holds ${arr.bytes.length} bytes`);
  }
  const labels = intList(d.get(labelKey), file, labelKey);
  if (labels.length !== arr.shape[0]) {
    throw new DatasetError(file, `has ${arr.shape[0]} images but ${labels.length} labels in '${labelKey}'`);
  }
  const bad = labels.findIndex((l) => l < 0 || l >= numClasses);
  if (bad >= 0) throw new DatasetError(file, `label ${labels[bad]} of image ${bad} is outside 0–${numClasses - 1} (${CIFAR_TITLE[kind]})`);
  return { data: arr, labels };
}

/**
 * Reads every batch far enough to know it will load: the pickle parsed (no code run, no pixel
 * copy), the array's declared shape against its bytes and the labels. Run before a run is
 * stored, so a truncated or hostile batch is refused then, not in the worker. Returns the
 * image count of each file.
 */
export async function checkCifarPythonBatches(kind: CifarKind, files: readonly string[]): Promise<number[]> {
  const counts: number[] = [];
  for (const file of files) counts.push(batchOf(kind, file, await loadPickle(file)).labels.length);
  return counts;
}

/** Reads and concatenates python batch files (fine labels for CIFAR-100). */
async function readCifarPython(kind: CifarKind, files: readonly string[]): Promise<CifarSplitData> {
  const parts: { data: Uint8Array; labels: number[] }[] = [];
  for (const file of files) {
    const { data, labels } = batchOf(kind, file, await loadPickle(file));
    parts.push({ data: data.values() as Uint8Array, labels });
  }
  const count = parts.reduce((n, p) => n + p.labels.length, 0);
  const pixels = sharedPixels(count);
  const labels = new Int32Array(count);
  let at = 0;
  for (const p of parts) {
    planarToHwc(p.data, 0, CIFAR_IMAGE_BYTES, pixels, at * CIFAR_IMAGE_BYTES, p.labels.length);
    labels.set(p.labels, at);
    at += p.labels.length;
  }
  return { count, pixels, labels };
}

/** Label names from `batches.meta` (label_names) or CIFAR-100's `meta` (fine_label_names). */
async function readCifarPythonLabelNames(kind: CifarKind, file: string): Promise<string[]> {
  const key = kind === 'cifar10' ? 'label_names' : 'fine_label_names';
  const d = await loadPickle(file);
  const v = d.get(key);
  if (!Array.isArray(v)) throw new DatasetError(file, `entry '${key}' is missing or not a list`);
  return v.map((x, i) => {
    const t = pyText(x);
    if (t === undefined) throw new DatasetError(file, `entry '${key}'[${i}] is not a string`);
    return t;
  });
}

export const cifarPythonReader: CifarFormatReader = { readSplit: readCifarPython, readLabelNames: readCifarPythonLabelNames };
