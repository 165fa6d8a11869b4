import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { NdArray, PickleError, PyDict, PyTuple, pyText, unpickle } from '../../../src-main/acquire/safe-unpickler.ts';
import { cifarPythonBatch, dict, list, py2Pickle, str } from './py2-pickle.ts';

const fixture = (name: string): Uint8Array => readFileSync(new URL(`../../fixtures/data/${name}`, import.meta.url));
const expected = JSON.parse(readFileSync(new URL('../../fixtures/data/pickle-expected.json', import.meta.url), 'utf8')) as {
  'cifar-batch': { data: number[]; shape: number[]; labels: number[] };
  arrays: { i32: number[]; f32: number[]; f64be: number[]; i64: string[]; bool: number[]; fortran: number[] };
};

function asDict(v: unknown): PyDict {
  assert.ok(v instanceof PyDict, 'expected a dict');
  return v;
}
function asArray(v: unknown): NdArray {
  assert.ok(v instanceof NdArray, 'expected an ndarray');
  return v;
}

// Pickles written by real Python + numpy (1.x: numpy.core, 2.x: numpy._core), protocols 2, 4, 5.
for (const np of ['np1', 'np2']) {
  for (const p of [2, 4, 5]) {
    test(`reads a CIFAR-shaped batch pickled by ${np} with protocol ${p}`, () => {
      const d = asDict(unpickle(fixture(`cifar-batch-${np}-p${p}.pkl`)));
      const data = asArray(d.get('data'));
      assert.deepEqual(data.shape, expected['cifar-batch'].shape);
      assert.equal(data.dtype.str, '|u1');
      assert.deepEqual(Array.from(data.values() as Uint8Array), expected['cifar-batch'].data);
      assert.deepEqual(d.get('labels'), expected['cifar-batch'].labels);
      assert.equal(pyText(d.get('batch_label')), 'testing batch 1 of 1');
    });

    test(`reads numeric dtypes, byte order, Fortran flag and scalars (${np}, protocol ${p})`, () => {
      const d = asDict(unpickle(fixture(`arrays-${np}-p${p}.pkl`)));
      const e = expected.arrays;
      assert.deepEqual(Array.from(asArray(d.get('i32')).values() as Int32Array), e.i32);
      assert.deepEqual(asArray(d.get('i32')).shape, [2, 3]);
      assert.deepEqual(Array.from(asArray(d.get('f32')).values() as Float32Array), e.f32);
      const be = asArray(d.get('f64be'));
      assert.equal(be.dtype.byteOrder, '>');
      assert.deepEqual(Array.from(be.values() as Float64Array), e.f64be);
      assert.deepEqual(Array.from(asArray(d.get('i64')).values() as BigInt64Array, String), e.i64);
      assert.deepEqual(Array.from(asArray(d.get('bool')).values() as Uint8Array), e.bool);
      const f = asArray(d.get('fortran'));
      assert.equal(f.fortranOrder, true);
      assert.deepEqual(Array.from(f.values() as Int16Array), e.fortran);
      assert.equal(d.get('scalar'), 7);
      assert.equal(d.get('big'), 2n ** 70n);
      assert.equal(d.get('text'), 'héllo');
      const nested = d.get('nested');
      assert.ok(nested instanceof PyTuple, 'nested instanceof PyTuple');
      assert.deepEqual(nested.items.slice(0, 4), [1, 2.5, null, true]);
    });

  }
}

test('refuses the pickle Python writes for a __reduce__ returning (os.system, ...)', () => {
  // Bytes of pickle.dumps(Evil(), protocol=2) on Linux, where os.system is posix.system.
  const evil = Uint8Array.from(Buffer.from('\x80\x02cposix\nsystem\nq\x00X\n\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03.', 'latin1'));
  assert.throws(
    () => unpickle(evil, { source: 'evil.pkl' }),
    (e: unknown) => e instanceof PickleError && /^evil\.pkl: refusing global 'posix\.system'/.test(e.message),
  );
});

test('reads the Python 2 cPickle form of the official CIFAR files', () => {
  const planar = Uint8Array.from({ length: 3 * 3072 }, (_, i) => (i * 13) % 251);
  const d = asDict(unpickle(cifarPythonBatch(planar, [0, 5, 9], 'cifar10')));
  const data = asArray(d.get('data'));
  assert.deepEqual(data.shape, [3, 3072]);
  assert.deepEqual(data.values(), planar);
  assert.deepEqual(d.get('labels'), [0, 5, 9]);
  assert.deepEqual((d.get('filenames') as Uint8Array[]).map((b) => pyText(b)), ['img_0.png', 'img_1.png', 'img_2.png']);
  const meta = asDict(unpickle(py2Pickle(dict([['label_names', list([str('airplane'), str('automobile')])]]))));
  assert.deepEqual((meta.get('label_names') as Uint8Array[]).map((b) => pyText(b)), ['airplane', 'automobile']);
});

test('refuses globals outside the allow-list, INST/OBJ, and reports truncation', () => {
  const g = (m: string, n: string): Uint8Array => Uint8Array.from(Buffer.from(`\x80\x02c${m}\n${n}\n)R.`, 'latin1'));
  assert.throws(() => unpickle(g('builtins', 'eval')), /refusing global 'builtins\.eval'/);
  assert.throws(() => unpickle(g('subprocess', 'Popen')), /refusing global 'subprocess\.Popen'/);
  assert.throws(() => unpickle(Uint8Array.from(Buffer.from('(i__main__\nFoo\n.', 'latin1'))), /refusing INST/);
  // REDUCE on an allowed global with wrong arguments does not slip through
  assert.throws(() => unpickle(g('numpy', 'ndarray')), /cannot be called/);
  const good = cifarPythonBatch(new Uint8Array(3072), [1], 'cifar10');
  assert.throws(() => unpickle(good.subarray(0, good.length - 500), { source: 'cut.pkl' }), (e: unknown) => e instanceof PickleError && /cut\.pkl: truncated/.test(e.message));
  assert.throws(() => unpickle(Uint8Array.from([0x80, 0x02, 0xff])), /unknown opcode 0xff/);
});

test('protocol 0 text opcodes', () => {
  const v = unpickle(Uint8Array.from(Buffer.from("(lp0\nI42\naF2.5\naS'a\\x41\\n'\np1\naL12345678901234567890L\naI01\na.", 'latin1')));
  assert.ok(Array.isArray(v), 'Array.isArray(v)');
  assert.equal(v[0], 42);
  assert.equal(v[1], 2.5);
  assert.equal(pyText(v[2]), 'aA\n');
  assert.equal(v[3], 12345678901234567890n);
  assert.equal(v[4], true);
});
