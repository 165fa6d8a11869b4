import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompareSeriesResultSchema } from '../../../shared/compare-series.ts';
import { packedFloat32Length, packFloat32, unpackFloat32 } from '../../../shared/packed-float32.ts';

test('packed float32: standard base64 of little-endian float32 (as Node writes it), NaN kept, any length', () => {
  for (const n of [0, 1, 2, 3, 5, 1040]) {
    const v = Float32Array.from({ length: n }, (_, i) => (i % 7 === 3 ? Number.NaN : Math.sin(i) * 1e3));
    const packed = packFloat32(v);
    assert.equal(packed, Buffer.from(v.buffer).toString('base64'), `${n} values`);
    assert.equal(packed.length, packedFloat32Length(n));
    assert.deepEqual([...unpackFloat32(packed)], [...v]);
  }
  assert.equal(unpackFloat32(packFloat32([0.1]))[0], Math.fround(0.1), 'float32 precision');
});

test('packed float32: refuses text that is not base64 of whole float32s', () => {
  assert.throws(() => unpackFloat32('AAA'), /multiple of 4/);
  assert.throws(() => unpackFloat32('AA=='), /1 bytes/);
  assert.throws(() => unpackFloat32('AA*AAAAA'), /not base64 at character 0/);
});

test('compare.series answers: a grid column must hold two packed values per bucket of a grid that exists', () => {
  const answer = (values: string, key = 'loss') => ({
    x: 'step',
    grids: [{ key: 'loss', lo: 0, width: 1, buckets: 2 }],
    runs: [{ runId: 'a', name: 'a', wallStart: null, series: [], gridValues: [{ key, values }] }],
  });
  assert.ok(CompareSeriesResultSchema.safeParse(answer(packFloat32([1, 2, 3, 4]))).success);
  const short = CompareSeriesResultSchema.safeParse(answer(packFloat32([1, 2, 3])));
  assert.match(short.error!.issues[0]!.message, /loss: not 4 packed values/);
  assert.deepEqual(short.error!.issues[0]!.path, ['runs', 0, 'gridValues', 0, 'values']);
  assert.match(CompareSeriesResultSchema.safeParse(answer(packFloat32([1, 2, 3, 4]), 'lr')).error!.issues[0]!.message, /no grid for key lr/);
});
