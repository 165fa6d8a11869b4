/** The fingerprint of image folders changes when images or classes are added, removed or renamed, and only then. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FolderFingerprints, imageFolderFingerprint } from '../../../../src-main/engine/data/image-folder-fingerprint.ts';

test('image folder fingerprint: stable, and changed by each kind of change to the listing', () => {
  const root = mkdtempSync(join(tmpdir(), 'snca-fingerprint-'));
  try {
    const train = join(root, 'train');
    for (const c of ['a', 'b']) {
      mkdirSync(join(train, c), { recursive: true });
      for (let i = 0; i < 3; i++) writeFileSync(join(train, c, `${i}.png`), 'x');
    }
    // Fixed, distinct mtimes so that each change is seen whatever the clock's resolution.
    let clock = 1_700_000_000;
    const settle = () => {
      for (const d of [train, join(train, 'a'), join(train, 'b'), join(train, 'c')]) {
        try {
          utimesSync(d, clock, clock);
        } catch {
          // not there (yet)
        }
      }
    };
    settle();
    const seen = new Set<string>();
    const next = (what: string, change: () => void) => {
      clock += 10;
      change();
      const fp = imageFolderFingerprint([train]);
      assert.ok(!seen.has(fp), `${what} changes the fingerprint`);
      seen.add(fp);
    };
    const first = imageFolderFingerprint([train]);
    seen.add(first);
    assert.equal(imageFolderFingerprint([train]), first, 'nothing changed');
    next('adding an image', () => (writeFileSync(join(train, 'a', '9.png'), 'x'), utimesSync(join(train, 'a'), clock, clock)));
    next('removing an image', () => (rmSync(join(train, 'b', '0.png')), utimesSync(join(train, 'b'), clock, clock)));
    next('a new class folder', () => (mkdirSync(join(train, 'c')), writeFileSync(join(train, 'c', '0.png'), 'x'), settle()));
    next('renaming a class', () => (renameSync(join(train, 'c'), join(train, 'd')), utimesSync(train, clock, clock)));
    const before = imageFolderFingerprint([train]);
    assert.notEqual(imageFolderFingerprint([join(root, 'elsewhere')]), before, 'another (missing) folder');
    assert.equal(imageFolderFingerprint([train]), before);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('remembered fingerprints are recomputed once their time is up', () => {
  const root = mkdtempSync(join(tmpdir(), 'snca-fingerprint-'));
  try {
    mkdirSync(join(root, 'a'));
    let now = 0;
    const memo = new FolderFingerprints(1000, () => now);
    const first = memo.of([root]);
    mkdirSync(join(root, 'b'));
    now = 999;
    assert.equal(memo.of([root]), first, 'within the time, the remembered one');
    now = 1000;
    assert.notEqual(memo.of([root]), first, 'then the folder is looked at again');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
