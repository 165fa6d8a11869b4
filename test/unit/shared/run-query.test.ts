import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRunQuery, RunQueryError, type QueryExpr } from '../../../shared/run-query.ts';
import { queryFieldNames, resolveField, suggestFields } from '../../../shared/run-query-fields.ts';

function errorOf(q: string): RunQueryError {
  try {
    parseRunQuery(q);
  } catch (err) {
    if (err instanceof RunQueryError) return err;
    throw err;
  }
  assert.fail(`expected ${JSON.stringify(q)} to fail`);
}

test('a query of a column, a metric, a tag and a date parses into four and-ed conditions', () => {
  const e = parseRunQuery('arch = resnet18 and knn_top1 > 0.9 and tag:baseline and created > 2026-11-01');
  assert.deepEqual(e, {
    kind: 'and',
    left: {
      kind: 'and',
      left: {
        kind: 'and',
        left: { kind: 'compare', field: { kind: 'column', name: 'arch', type: 'text' }, op: '=', value: { type: 'text', value: 'resnet18' } },
        right: { kind: 'compare', field: { kind: 'metric', key: 'knn_top1', aggregate: 'best', type: 'number' }, op: '>', value: { type: 'number', value: 0.9 } },
      },
      right: { kind: 'tag', op: '=', tag: 'baseline' },
    },
    right: {
      kind: 'compare',
      field: { kind: 'column', name: 'created', type: 'date' },
      op: '>',
      value: { type: 'date', from: '2026-11-01T00:00:00.000Z', to: '2026-11-02T00:00:00.000Z' },
    },
  } satisfies QueryExpr);
});

test('precedence: not > and > or; parentheses; implicit and; keywords in any case', () => {
  const e = parseRunQuery('status = failed OR arch = resnet18 AND NOT tag:x');
  assert.equal(e?.kind, 'or');
  if (e?.kind !== 'or') return;
  assert.equal(e.right.kind, 'and');
  if (e.right.kind === 'and') assert.equal(e.right.right.kind, 'not');
  const p = parseRunQuery('(status = failed or status = cancelled) lr <= 1e-2');
  assert.equal(p?.kind, 'and');
  if (p?.kind === 'and') {
    assert.equal(p.left.kind, 'or');
    assert.deepEqual(p.right, { kind: 'compare', field: { kind: 'config', path: 'lr', type: 'number' }, op: '<=', value: { type: 'number', value: 0.01 } });
  }
});

test('values: quoted strings with escapes, booleans, negative numbers, ISO times, tag forms', () => {
  const name = parseRunQuery(`name ~ "my \\"best\\" run"`);
  assert.deepEqual(name, { kind: 'compare', field: { kind: 'column', name: 'name', type: 'text' }, op: '~', value: { type: 'text', value: 'my "best" run' } });
  assert.deepEqual(parseRunQuery('nesterov = false'), {
    kind: 'compare', field: { kind: 'config', path: 'nesterov', type: 'boolean' }, op: '=', value: { type: 'boolean', value: false },
  });
  assert.deepEqual(parseRunQuery('margin >= -0.5'), {
    kind: 'compare', field: { kind: 'config', path: 'margin', type: 'number' }, op: '>=', value: { type: 'number', value: -0.5 },
  });
  assert.deepEqual(parseRunQuery('started < 2026-11-01T10:30:00Z'), {
    kind: 'compare', field: { kind: 'column', name: 'started', type: 'date' }, op: '<',
    value: { type: 'date', from: '2026-11-01T10:30:00.000Z', to: '2026-11-01T10:30:00.000Z' },
  });
  assert.deepEqual(parseRunQuery(`tag:"two words"`), { kind: 'tag', op: '=', tag: 'two words' });
  assert.deepEqual(parseRunQuery('tag != old'), { kind: 'tag', op: '!=', tag: 'old' });
  assert.deepEqual(parseRunQuery('last.lr < 0.01'), {
    kind: 'compare', field: { kind: 'metric', key: 'lr', aggregate: 'last', type: 'number' }, op: '<', value: { type: 'number', value: 0.01 },
  });
  assert.equal(parseRunQuery('   '), null);
  assert.equal(parseRunQuery(''), null);
});

test('an unknown field names its position and suggests valid names', () => {
  const e = errorOf('arch = resnet18 and knn_tpo1 > 0.9');
  assert.equal(e.position, 20);
  assert.match(e.message, /unknown field "knn_tpo1" at column 21/);
  assert.ok(e.suggestions.includes('knn_top1'), e.suggestions.join());
  assert.match(e.message, /did you mean .*knn_top1/);
  assert.deepEqual(errorOf('acrh = x').suggestions.slice(0, 1), ['arch']);
});

test('syntax and type errors give the column of the offending token', () => {
  const cases: [string, number, RegExp][] = [
    ['arch resnet18', 5, /expected an operator/],
    ['arch =', 6, /expected a value after =/],
    ['lr > fast', 5, /lr is a number field: "fast" is not a number/],
    ['created > yesterday', 10, /created is a date/],
    ['created > 2026-02-30', 10, /not a calendar date/],
    ['arch > x', 5, /arch is a text field: use = != ~/],
    ['(status = failed', 16, /expected \)/],
    ['status = failed)', 15, /unmatched \)/],
    ['name = "open', 7, /unterminated string/],
    ['arch = x and', 12, /expected a condition, found the end/],
    ['and arch = x', 0, /expected a condition before and/],
    ['arch = x $', 9, /unexpected character "\$"/],
    ['nesterov = maybe', 11, /nesterov is true or false/],
    ['tag > x', 4, /tag takes = or !=/],
  ];
  for (const [q, pos, re] of cases) {
    const e = errorOf(q);
    assert.equal(e.position, pos, `${q}: ${e.message}`);
    assert.match(e.message, re, q);
    assert.match(e.message, new RegExp(`at column ${pos + 1}`), q);
  }
});

test('deep nesting and huge queries are refused, not a stack overflow', () => {
  assert.match(errorOf('('.repeat(200) + 'arch = x' + ')'.repeat(200)).message, /nests too deeply/);
  assert.match(errorOf('arch = x '.repeat(600)).message, /longer than 4000 characters/);
});

test('field registry: run columns before config before metrics; every offered name resolves', () => {
  assert.equal(resolveField('arch')?.kind, 'column');
  assert.equal(resolveField('lr')?.kind, 'config');
  assert.deepEqual(resolveField('best_epoch.knn_top1'), { kind: 'metric', key: 'knn_top1', aggregate: 'best_epoch', type: 'number' });
  assert.equal(resolveField('worst.knn_top1'), undefined);
  assert.equal(resolveField('best.DROP TABLE'), undefined);
  for (const name of queryFieldNames()) if (name !== 'tag') assert.ok(resolveField(name), name);
  assert.deepEqual(suggestFields('zzzzzzzzzzzzzzzzzz'), []);
});
