import { test } from 'node:test';
import assert from 'node:assert/strict';
import { installedBackends } from '../../../src-main/core/backend-availability.ts';
import { defaultBackend } from '../../../src-main/core/system-info.ts';

test('lists resolvable backend packages, best first', () => {
  const present = new Set(['@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-cpu']);
  const found = installedBackends((s) => {
    if (!present.has(s)) throw new Error('not found');
    return s;
  });
  assert.deepEqual(found, ['tensorflow', 'cpu']);
  assert.equal(defaultBackend(found), 'tensorflow');
  assert.equal(defaultBackend(found, 'wasm'), 'wasm');
  assert.equal(defaultBackend([]), 'cpu');
});

test('on this machine the wasm and cpu backends (dependencies) are found', () => {
  const found = installedBackends();
  assert.ok(found.includes('cpu'));
  assert.ok(found.includes('wasm'));
});
