import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Of, writeFileAtomic } from '../../../../src-main/engine/checkpoint/atomic-file.ts';
import { makeTempDir } from '../../../fixtures/temp-home.ts';

test('writeFileAtomic replaces a file and reports its sha256 and size', () => {
  const tmp = makeTempDir();
  try {
    const path = join(tmp.dir, 'ck', 'latest.safetensors');
    writeFileAtomic(path, [Buffer.from('old')]);
    const w = writeFileAtomic(path, [Buffer.from('new '), Buffer.from('content')]);
    assert.equal(readFileSync(path, 'utf8'), 'new content');
    assert.equal(w.sha256, sha256Of(Buffer.from('new content')));
    assert.equal(w.bytes, 11);
    assert.deepEqual(readdirSync(join(tmp.dir, 'ck')), ['latest.safetensors'], 'no temp file left');
  } finally {
    tmp.cleanup();
  }
});

test('a failed write leaves the previous state and no temp file', () => {
  const tmp = makeTempDir();
  try {
    // The folder path is a file: nothing can be written there.
    writeFileSync(join(tmp.dir, 'checkpoints'), 'a file');
    assert.throws(() => writeFileAtomic(join(tmp.dir, 'checkpoints', 'latest.safetensors'), [Buffer.from('x')]), /EEXIST|ENOTDIR/);
    assert.equal(readFileSync(join(tmp.dir, 'checkpoints'), 'utf8'), 'a file');
    // The rename fails after the data was written and synced (the target is a folder): the
    // temp file is removed and the target is untouched.
    const target = join(tmp.dir, 'ck', 'best.safetensors');
    mkdirSync(join(target, 'inside'), { recursive: true });
    assert.throws(() => writeFileAtomic(target, [Buffer.from('data')]), /EISDIR|ENOTEMPTY|EEXIST|EPERM/);
    assert.deepEqual(readdirSync(join(tmp.dir, 'ck')), ['best.safetensors']);
    assert.deepEqual(readdirSync(target), ['inside']);
  } finally {
    tmp.cleanup();
  }
});
