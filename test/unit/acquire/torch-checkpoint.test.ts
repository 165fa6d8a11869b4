/**
 * The torch checkpoint readers (legacy and zip) on the PyTorch-written fixtures and on hostile
 * files: pickles naming os.system, truncated files, storages larger than the file, zip entries
 * out of bounds and absurd counts each give an error naming the file and the offset or entry,
 * and nothing runs. Tensors are references into the file, read on demand.
 */
import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PyDict, PyObject } from '../../../src-main/acquire/safe-unpickler.ts';
import { TorchFileError, readTorchFile } from '../../../src-main/acquire/torch-checkpoint.ts';
import { TorchStorage, TorchTensor, TorchTensorError, copyTensorToFile, readTensorFloat32, readTensorInt64 } from '../../../src-main/acquire/torch-tensor.ts';
import { expectedTorchFixtures, fixturePath } from './torch-fixtures.ts';

const expected = expectedTorchFixtures();
const tmp = mkdtempSync(join(tmpdir(), 'snca-torch-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function dictOf(v: unknown): PyDict {
  assert.ok(v instanceof PyDict, 'expected a dict');
  return v;
}

function writeTemp(name: string, bytes: Uint8Array): string {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
}

function refuses(path: string, pattern: RegExp, check?: (e: TorchFileError) => void): void {
  assert.throws(() => readTorchFile(path), (e: unknown) => {
    assert.ok(e instanceof TorchFileError, `expected a TorchFileError, got ${String(e)}`);
    assert.ok(e.message.startsWith(`${path}: `), `the message names the file: ${e.message}`);
    assert.match(e.message, pattern);
    check?.(e);
    return true;
  });
}

for (const [file, exp] of Object.entries(expected.checkpoints)) {
  test(`${file}: ${exp.format} serialisation, ${exp.layout} layout, storages placed inside the file`, () => {
    const t = readTorchFile(fixturePath(file));
    assert.equal(t.format, exp.format);
    assert.ok(t.storages.length > 20);
    for (const s of t.storages) {
      assert.ok(s.byteOffset > 0 && s.byteOffset + s.byteLength <= t.bytes, `${s.describe()} lies inside the file`);
    }
    const root = dictOf(t.root);
    assert.equal(root.get('epoch'), exp.epoch);
    const lem = root.get('lemniscate');
    assert.ok(lem instanceof PyObject);
    assert.equal(lem.className, 'lib.LinearAverage.LinearAverage');
    assert.equal(lem.attr('nLem'), exp.bankRows);
    const buffers = dictOf(lem.attr('_buffers'));
    const memory = buffers.get('memory');
    assert.ok(memory instanceof TorchTensor);
    assert.deepEqual(memory.shape, [exp.bankRows, 128]);
    const head = readTensorFloat32(memory).subarray(0, 8);
    head.forEach((v, i) => assert.ok(Math.abs(v - exp.bankHead[i]!) < 1e-6, `memory[0][${i}]`));
    if (exp.layout === 'cifar') {
      const net = root.get('net');
      assert.ok(net instanceof PyObject);
      const inner = net.className.endsWith('DataParallel') ? dictOf(net.attr('_modules')).get('module') : net;
      assert.ok(inner instanceof PyObject);
      assert.equal(inner.className, 'models.resnet_cifar.ResNet');
      assert.deepEqual(dictOf(inner.attr('_modules')).keys(), ['conv1', 'bn1', 'layer1', 'layer2', 'layer3', 'layer4', 'linear', 'l2norm']);
      assert.equal(inner.attr('training'), true);
    } else {
      const sd = dictOf(root.get('state_dict'));
      assert.ok(sd.keys().every((k) => typeof k === 'string' && k.startsWith('module.')));
      const fc = sd.get('module.fc.weight');
      assert.ok(fc instanceof TorchTensor);
      assert.equal(fc.dtype, 'float32');
      assert.ok(dictOf(root.get('optimizer')).has('param_groups'));
    }
  });
}

test('pickles naming os.system (legacy and zip) are refused at the global, and the command never runs', () => {
  const marker = '/tmp/snca-exploit-ran';
  rmSync(marker, { force: true });
  refuses(fixturePath('hostile-os-system.legacy.pth'), /refusing global 'posix\.system'.*\(at byte \d+\)$/);
  refuses(fixturePath('hostile-os-system.zip.pth'), /refusing global 'posix\.system'.*\(entry hostile-os-system\.zip\/data\.pkl, byte \d+\)$/);
  assert.equal(existsSync(marker), false);
});

test('refuses calling a class or builtins.eval, even where unknown classes are read as inert records', () => {
  // Protocol 2: GLOBAL some.module Cls, EMPTY_TUPLE, REDUCE, STOP — a call, not an instantiation.
  const call = (module: string, name: string): Uint8Array =>
    Uint8Array.from([0x80, 0x02, ...Buffer.from(`c${module}\n${name}\n`, 'latin1'), 0x29, 0x52, 0x2e]);
  const legacyPrefix = (): Buffer => {
    const f = readFileSync(fixturePath('hostile-oversized-storage.legacy.pth'));
    // magic, protocol and sys_info pickles each end with STOP ('.'); the third STOP ends the prefix.
    let stops = 0;
    let i = 0;
    for (; i < f.length && stops < 3; i++) if (f[i] === 0x2e && (f[i + 1] === 0x80)) stops++;
    return f.subarray(0, i);
  };
  const prefix = legacyPrefix();
  const evil = writeTemp('eval.pth', Buffer.concat([prefix, call('builtins', 'eval')]));
  refuses(evil, /refusing global 'builtins\.eval'/);
  const cls = writeTemp('class-call.pth', Buffer.concat([prefix, call('mymodels', 'Net')]));
  refuses(cls, /refusing to call 'mymodels\.Net'/);
});

test('a storage stating more elements than the file holds is refused at its count', () => {
  refuses(fixturePath('hostile-oversized-storage.legacy.pth'), /states 1099511627776 × float32 .*larger than the 24 bytes left in the file/, (e) => {
    assert.equal(e.offset, expected.oversizedStorageCountOffset);
  });
});

test('truncated legacy and zip files are refused with the file and an offset, at every cut', () => {
  for (const name of ['imagenet-resnet18-w4.legacy.pth.tar', 'cifar-resnet18-w4.zip.t7']) {
    const full = readFileSync(fixturePath(name));
    for (const cut of [3, 100, 2000, Math.floor(full.length / 2), full.length - 1]) {
      const p = writeTemp(`cut-${cut}-${name}`, full.subarray(0, cut));
      assert.throws(() => readTorchFile(p), (e: unknown) => e instanceof TorchFileError && e.path === p && /truncated|end record|ended|not a torch|too short|runs past|is not a torch/.test(e.message),
        `cut at ${cut} of ${name}`);
    }
  }
});

/** Offsets of the zip fixture's central-directory records and end record. */
function zipRecords(buf: Buffer): { eocd: number; central: number[] } {
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const central: number[] = [];
  let p = buf.readUInt32LE(eocd + 16);
  for (let i = 0; i < buf.readUInt16LE(eocd + 10); i++) {
    central.push(p);
    p += 46 + buf.readUInt16LE(p + 28) + buf.readUInt16LE(p + 30) + buf.readUInt16LE(p + 32);
  }
  return { eocd, central };
}

test('zip entries out of bounds, compressed records and absurd entry counts are refused naming the entry or offset', () => {
  const full = readFileSync(fixturePath('cifar-resnet18-w4.zip.t7'));
  const { eocd, central } = zipRecords(full);
  const entryName = (at: number): string => full.toString('utf8', at + 46, at + 46 + full.readUInt16LE(at + 28));
  const storageAt = central.find((c) => /\/data\/0$/.test(entryName(c)))!;

  const big = Buffer.from(full);
  big.writeUInt32LE(0x7fffffff, storageAt + 20);
  big.writeUInt32LE(0x7fffffff, storageAt + 24);
  refuses(writeTemp('entry-size.zip', big), new RegExp(`entry ${entryName(storageAt)}: its 2147483647 bytes at \\d+ run past the data area`));

  const far = Buffer.from(full);
  far.writeUInt32LE(0x7ffffff0, storageAt + 42);
  refuses(writeTemp('entry-offset.zip', far), /local header offset 2147483632 lies outside the data area/);

  const deflated = Buffer.from(full);
  deflated.writeUInt16LE(8, storageAt + 10);
  refuses(writeTemp('deflated.zip', deflated), /record is compressed \(method 8\).*\(entry .*\/data\/0/);

  const many = Buffer.from(full);
  many.writeUInt16LE(0xfffe, eocd + 8);
  many.writeUInt16LE(0xfffe, eocd + 10);
  refuses(writeTemp('count.zip', many), /states 65534 entries, which cannot fit in its \d+ bytes/, (e) => assert.equal(e.offset, eocd));

  const small = Buffer.from(full);
  const key0 = central.find((c) => /\/data\/0$/.test(entryName(c)))!;
  small.writeUInt32LE(4, key0 + 20);
  small.writeUInt32LE(4, key0 + 24);
  refuses(writeTemp('short-record.zip', small), /storage 0 states \d+ × float32 \(\d+ bytes\) but its record .*\/data\/0 holds 4 bytes/);
});

test('files that are not torch checkpoints say so', () => {
  refuses(writeTemp('text.pth', Buffer.from('hello, this is not a checkpoint')), /neither a zip nor a pickle/);
  refuses(join(tmp, 'missing.pth'), /does not exist/);
});

/** A storage over a temp file of `values`, little-endian. */
function storageOf(name: string, dtype: 'float32' | 'float64' | 'int64', values: number[]): TorchStorage {
  const es = dtype === 'float32' ? 4 : 8;
  const buf = Buffer.alloc(16 + values.length * es);
  values.forEach((v, i) => {
    if (dtype === 'float32') buf.writeFloatLE(v, 16 + i * 4);
    else if (dtype === 'float64') buf.writeDoubleLE(v, 16 + i * 8);
    else buf.writeBigInt64LE(BigInt(v), 16 + i * 8);
  });
  const s = new TorchStorage(name, dtype, values.length, 'cpu');
  s.place(writeTemp(name, buf), 16);
  return s;
}

test('tensors read with their offset and strides, from float32, float64 and int64 storages', () => {
  const values = Array.from({ length: 14 }, (_, i) => i * 1.5);
  const f32 = storageOf('f32.bin', 'float32', values);
  // A 3×4 view at offset 2, transposed (stride [1, 3]): element (i, j) = storage[2 + i + 3j].
  const t = new TorchTensor(f32, 2, [3, 4], [1, 3], false);
  assert.equal(t.contiguous, false);
  const got = Array.from(readTensorFloat32(t));
  const want: number[] = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) want.push(values[2 + i + 3 * j]!);
  assert.deepEqual(got, want);
  const f64 = storageOf('f64.bin', 'float64', [0.1, 0.2, 0.3, 0.4]);
  assert.deepEqual(Array.from(readTensorFloat32(new TorchTensor(f64, 1, [3], [1], false))), [0.2, 0.3, 0.4].map(Math.fround));
  const i64 = storageOf('i64.bin', 'int64', [7, -3, 1234567890123]);
  assert.deepEqual(Array.from(readTensorInt64(new TorchTensor(i64, 0, [3], [1], false))), [7n, -3n, 1234567890123n]);
  assert.deepEqual(Array.from(readTensorFloat32(new TorchTensor(i64, 2, [], [], false))), [Math.fround(1234567890123)]);
  assert.throws(() => new TorchTensor(f32, 10, [2, 3], [3, 1], false), (e: unknown) => e instanceof TorchTensorError && /reaches element 16 of storage f32\.bin \(14 × float32\)/.test(e.message));
});

test('a tensor is streamed to another file chunk by chunk with progress, float64 converted to float32', () => {
  const n = 3000;
  const src = storageOf('bank64.bin', 'float64', Array.from({ length: n }, (_, i) => Math.sin(i)));
  const t = new TorchTensor(src, 0, [n / 4, 4], [4, 1], false);
  const out = join(tmp, 'bank.f32');
  const fd = openSync(out, 'w');
  const seen: number[] = [];
  try {
    const written = copyTensorToFile(t, fd, (p) => seen.push(p.bytesDone));
    assert.equal(written, n * 4);
  } finally {
    closeSync(fd);
  }
  const back = new Float32Array(readFileSync(out).buffer.slice(0));
  assert.equal(back.length, n);
  back.forEach((v, i) => assert.equal(v, Math.fround(Math.sin(i))));
  assert.equal(seen.at(-1), n * 4);
  assert.throws(() => copyTensorToFile(new TorchTensor(src, 0, [4, 2], [1, 4], false), 0), /not contiguous/);
});
