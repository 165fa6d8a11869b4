/** Reader of the CIFAR "binary version" (records of label byte(s) + 3072 planar pixels). */
import { readFile } from 'node:fs/promises';
import { DatasetError } from './data-errors.ts';
import {
  CIFAR_IMAGE_BYTES,
  CIFAR_TITLE,
  cifarClassCount,
  planarToHwc,
  sharedPixels,
  type CifarKind,
  type CifarSplitData,
} from './cifar-layout.ts';

/** CIFAR-10 records carry one label byte; CIFAR-100 records carry coarse then fine. */
export function cifarBinaryRecordBytes(kind: CifarKind): number {
  return (kind === 'cifar10' ? 1 : 2) + CIFAR_IMAGE_BYTES;
}

/** Reads and concatenates binary batch files (fine labels for CIFAR-100). */
export async function readCifarBinary(kind: CifarKind, files: readonly string[]): Promise<CifarSplitData> {
  const record = cifarBinaryRecordBytes(kind);
  const labelOffset = kind === 'cifar10' ? 0 : 1;
  const numClasses = cifarClassCount(kind);
  const buffers: Buffer[] = [];
  for (const file of files) {
    let buf: Buffer;
    try {
      buf = await readFile(file);
    } catch (e) {
      throw new DatasetError(file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if (buf.length === 0 || buf.length % record !== 0) {
      throw new DatasetError(
        file,
        `size ${buf.length} bytes is not a whole number of ${record}-byte ${CIFAR_TITLE[kind]} records: the file is truncated or not a ${CIFAR_TITLE[kind]} binary batch`,
      );
    }
    buffers.push(buf);
  }
  const count = buffers.reduce((n, b) => n + b.length / record, 0);
  const pixels = sharedPixels(count);
  const labels = new Int32Array(count);
  let at = 0;
  buffers.forEach((buf, fi) => {
    const n = buf.length / record;
    for (let i = 0; i < n; i++) {
      const label = buf[i * record + labelOffset];
      if (label >= numClasses) {
        throw new DatasetError(files[fi], `record ${i} has label ${label}; ${CIFAR_TITLE[kind]} labels are 0–${numClasses - 1}`);
      }
      labels[at + i] = label;
      planarToHwc(buf, i * record + record - CIFAR_IMAGE_BYTES, record, pixels, (at + i) * CIFAR_IMAGE_BYTES, 1);
    }
    at += n;
  });
  return { count, pixels, labels };
}

/** Label names from `batches.meta.txt` / `fine_label_names.txt` (one per line). */
export async function readCifarBinaryLabelNames(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  return text.split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
}
