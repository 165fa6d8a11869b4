/** Test helper: small CIFAR folders (binary and python versions) and .tar.gz archives of them. */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cifarPythonBatch, dict, list, py2Pickle, str } from '../../acquire/py2-pickle.ts';

export interface FakeCifar {
  /** Planar (CHW) pixels per image, as in the files. */
  train: { planar: Uint8Array; labels: number[] };
  test: { planar: Uint8Array; labels: number[] };
  names: string[];
}

/** Deterministic images: pixel values depend on (image, channel, position). */
export function fakeCifar(kind: 'cifar10' | 'cifar100', trainPerBatch: number, testCount: number): FakeCifar {
  const classes = kind === 'cifar10' ? 10 : 100;
  const split = (n: number, salt: number) => {
    const planar = new Uint8Array(n * 3072);
    for (let i = 0; i < planar.length; i++) planar[i] = (i * 31 + salt * 7 + Math.floor(i / 3072) * 17) % 256;
    const labels = Array.from({ length: n }, (_, i) => (i * 3 + salt) % classes);
    return { planar, labels };
  };
  const trainCount = kind === 'cifar10' ? trainPerBatch * 5 : trainPerBatch;
  const names = Array.from({ length: classes }, (_, i) => `class_${String(i).padStart(2, '0')}`);
  return { train: split(trainCount, 1), test: split(testCount, 2), names };
}

function binaryRecords(kind: 'cifar10' | 'cifar100', planar: Uint8Array, labels: number[]): Uint8Array {
  const lb = kind === 'cifar10' ? 1 : 2;
  const rec = lb + 3072;
  const out = new Uint8Array(labels.length * rec);
  labels.forEach((l, i) => {
    if (kind === 'cifar10') out[i * rec] = l;
    else {
      out[i * rec] = l % 20;
      out[i * rec + 1] = l;
    }
    out.set(planar.subarray(i * 3072, (i + 1) * 3072), i * rec + lb);
  });
  return out;
}

/** Writes the folder the official archive extracts to; returns its path. */
export function writeCifar(root: string, kind: 'cifar10' | 'cifar100', format: 'binary' | 'python', data: FakeCifar): string {
  const folder = { cifar10: { binary: 'cifar-10-batches-bin', python: 'cifar-10-batches-py' }, cifar100: { binary: 'cifar-100-binary', python: 'cifar-100-python' } }[kind][format];
  const dir = join(root, folder);
  mkdirSync(dir, { recursive: true });
  const chunks: { planar: Uint8Array; labels: number[] }[] = [];
  if (kind === 'cifar10') {
    const per = data.train.labels.length / 5;
    for (let b = 0; b < 5; b++) chunks.push({ planar: data.train.planar.subarray(b * per * 3072, (b + 1) * per * 3072), labels: data.train.labels.slice(b * per, (b + 1) * per) });
  } else chunks.push(data.train);
  const write = (name: string, part: { planar: Uint8Array; labels: number[] }): void => {
    writeFileSync(join(dir, name), format === 'binary' ? binaryRecords(kind, part.planar, part.labels) : cifarPythonBatch(part.planar, part.labels, kind));
  };
  if (kind === 'cifar10') {
    chunks.forEach((c, i) => write(format === 'binary' ? `data_batch_${i + 1}.bin` : `data_batch_${i + 1}`, c));
    write(format === 'binary' ? 'test_batch.bin' : 'test_batch', data.test);
    if (format === 'binary') writeFileSync(join(dir, 'batches.meta.txt'), data.names.join('\n') + '\n\n');
    else writeFileSync(join(dir, 'batches.meta'), py2Pickle(dict([['label_names', list(data.names.map((n) => str(n)))]])));
  } else {
    write(format === 'binary' ? 'train.bin' : 'train', data.train);
    write(format === 'binary' ? 'test.bin' : 'test', data.test);
    if (format === 'binary') writeFileSync(join(dir, 'fine_label_names.txt'), data.names.join('\n') + '\n');
    else writeFileSync(join(dir, 'meta'), py2Pickle(dict([['fine_label_names', list(data.names.map((n) => str(n)))], ['coarse_label_names', list([str('x')])]])));
  }
  return dir;
}

function octal(v: number, width: number): string {
  return v.toString(8).padStart(width - 1, '0') + '\0';
}

/** One ustar header + padded body. A name over 100 bytes uses a GNU 'L' long-name entry. */
export function tarEntry(name: string, body: Uint8Array | null, type: '0' | '5' = body ? '0' : '5'): Buffer {
  const blocks: Buffer[] = [];
  const nameBytes = Buffer.from(name, 'utf8');
  if (nameBytes.length > 100) blocks.push(tarEntryRaw('././@LongLink', Buffer.concat([nameBytes, Buffer.from([0])]), 'L', nameBytes.subarray(0, 100)));
  blocks.push(tarEntryRaw(name, body ?? Buffer.alloc(0), type, nameBytes.length > 100 ? nameBytes.subarray(0, 100) : nameBytes));
  return Buffer.concat(blocks);
}

function tarEntryRaw(_name: string, body: Uint8Array, type: string, nameField: Uint8Array): Buffer {
  const h = Buffer.alloc(512);
  Buffer.from(nameField).copy(h, 0);
  h.write(octal(type === '5' ? 0o755 : 0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(body.length, 12), 124, 'ascii');
  h.write(octal(1700000000, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(type, 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  const pad = (512 - (body.length % 512)) % 512;
  return Buffer.concat([h, Buffer.from(body), Buffer.alloc(pad)]);
}

/** .tar.gz of the folder `dir` (entries named relative to `base`), plus optional extra entries. */
export function tarGzOf(base: string, dir: string, extra: Buffer[] = []): Buffer {
  const entries: Buffer[] = [];
  const walk = (d: string): void => {
    entries.push(tarEntry(relative(base, d) + '/', null));
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else entries.push(tarEntry(relative(base, p), readFileSync(p)));
    }
  };
  walk(dir);
  return gzipSync(Buffer.concat([...entries, ...extra, Buffer.alloc(1024)]));
}
