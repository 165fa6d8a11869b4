import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configDiff, emaSmooth, flattenConfig, groupBand, groupKey, meanStd, runColour } from '../../../src-renderer/stores/compare-analysis.ts';
import { toCsv } from '../../../src-renderer/stores/csv-export.ts';
import { demoConfig } from '../../fixtures/run-records.ts';

test('config diff lists exactly the fields that differ (name ignored), with each run value', () => {
  const a = demoConfig({ name: 'a', lr: 0.1, seed: 1 });
  const b = demoConfig({ name: 'b', lr: 0.05, seed: 1 });
  const c = demoConfig({ name: 'c', lr: 0.1, seed: 2 });
  assert.deepEqual(configDiff([a, b, c]), [
    { field: 'lr', values: [0.1, 0.05, 0.1] },
    { field: 'seed', values: [1, 1, 2] },
  ]);
  assert.deepEqual(configDiff([a, a]), []);
  assert.equal(flattenConfig(a)['eval.k'], 30);
  assert.equal(flattenConfig({ s: [{ epoch: 1, value: 0.5 }] }).s, '[{"epoch":1,"value":0.5}]');
});

test('EMA smoothing: weight 0 is identity, debiased start, nulls carried', () => {
  assert.deepEqual(emaSmooth([1, 2, 3], 0), [1, 2, 3]);
  const s = emaSmooth([2, null, 2, 4], 0.5);
  assert.equal(s[0], 2);
  assert.equal(s[1], null);
  assert.equal(s[2], 2);
  // last = 0.5·last + 0.5·v: 1, 1.5, 2.75; divided by 1 - 0.5^n: 2, 2, 3.142857…
  assert.ok(Math.abs(s[3]! - 2.75 / 0.875) < 1e-12, String(s[3]));
});

test('groups: key from chosen fields; band mean, min, max and std per x', () => {
  assert.equal(groupKey(demoConfig({ lr: 0.1, seed: 3 }), ['lr']), 'lr=0.1');
  assert.equal(groupKey(demoConfig(), []), 'all runs');
  const band = groupBand('g', ['a', 'b'], [1, 2, 3, 4], [[1, 4, 5, null], [3, 2, null, null]]);
  assert.deepEqual(band.x, [1, 2, 3, 4]);
  assert.deepEqual(band.runIds, ['a', 'b']);
  assert.deepEqual(band.mean, [2, 3, 5, null]);
  assert.deepEqual(band.min, [1, 2, 5, null]);
  assert.deepEqual(band.max, [3, 4, 5, null]);
  assert.deepEqual(band.std, [1, 1, 0, null]);
  const ms = meanStd([0.9, null, 0.7])!;
  assert.ok(Math.abs(ms.mean - 0.8) < 1e-12 && Math.abs(ms.std - 0.1) < 1e-12, JSON.stringify(ms));
  assert.equal(meanStd([null]), null);
});

test('50 runs get 50 different colours', () => {
  assert.equal(new Set(Array.from({ length: 50 }, (_, i) => runColour(i))).size, 50);
});

test('exported CSV: formula cells neutralised by the shared rule, numbers kept, empty for null', () => {
  assert.equal(toCsv(['run', 'lr', 'note'], [['a', -0.5, '=HYPERLINK("x")'], ['@b', null, 'a,b']]), `run,lr,note\r\na,-0.5,"'=HYPERLINK(""x"")"\r\n'@b,,"a,b"\r\n`);
});

test('SVG export: one path per line, a gap starts a new segment, labels escaped, log scale skips non-positive values', async () => {
  const { linesToSvg } = await import('../../../src-renderer/components/chart-svg.ts');
  const svg = linesToSvg('loss <a&b>', [
    { label: 'run "1"', colour: 'hsl(0 70% 45%)', x: [0, 1, 2, 3], y: [4, null, 2, 1] },
    { label: 'run 2', colour: 'red', x: [0, 1, 2, 3], y: [0, 1, 10, 100] },
  ], { width: 140, height: 140, logY: true });
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /loss &lt;a&amp;b&gt;/);
  assert.match(svg, /run &quot;1&quot;/);
  const paths = [...svg.matchAll(/<path d="([^"]*)"/g)].map((m) => m[1]!);
  assert.equal(paths.length, 2);
  assert.equal((paths[0]!.match(/M/g) ?? []).length, 2, 'the null splits the first line');
  assert.equal((paths[1]!.match(/[ML]/g) ?? []).length, 3, 'the 0 is left out on a log scale');
});
