import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderSbatchScript } from '../../../src-main/cluster/sbatch-script.ts';

const base = {
  jobName: 'snca run 1',
  appDir: '/shared/snca/app',
  runDirs: ['/shared/snca/runs/a'],
  outputPattern: '/shared/snca/runs/a/slurm.out',
  errorPattern: '/shared/snca/runs/a/slurm.err',
  resources: { partition: 'gpu', gpus: 2, cpus: 8, memory: '32G', time: '2-00:00:00' },
};

test('one run: resources as #SBATCH lines, no array, the app entry on its run folder', () => {
  const s = renderSbatchScript(base);
  assert.match(s, /^#!\/bin\/bash\n#SBATCH --job-name=snca-run-1\n/);
  for (const line of ['#SBATCH --partition=gpu', '#SBATCH --gres=gpu:2', '#SBATCH --cpus-per-task=8', '#SBATCH --mem=32G', '#SBATCH --time=2-00:00:00']) {
    assert.ok(s.includes(`${line}\n`), line);
  }
  assert.ok(!s.includes('--array'));
  assert.ok(s.includes('RUN_DIRS=(/shared/snca/runs/a)'));
  assert.ok(s.includes('exec node /shared/snca/app/bin/snca.js cluster-job "$RUN_DIR"'));
});

test('a sweep is one job array over its run folders; hostile values are quoted or refused', () => {
  const s = renderSbatchScript({ ...base, runDirs: ['/r/0', "/r/it's 1", '/r/$(rm -rf ~)'], env: { SNCA_BACKEND: 'wasm' }, resources: { gpus: 0 } });
  assert.ok(s.includes('#SBATCH --array=0-2\n'));
  assert.ok(!s.includes('--gres'));
  assert.ok(s.includes(`RUN_DIRS=(/r/0 '/r/it'\\''s 1' '/r/$(rm -rf ~)')`));
  assert.ok(s.includes('export SNCA_BACKEND=wasm'));
  assert.throws(() => renderSbatchScript({ ...base, resources: { partition: 'gpu;rm' } }), /partition/);
  assert.throws(() => renderSbatchScript({ ...base, resources: { time: 'forever' } }), /time limit/);
  assert.throws(() => renderSbatchScript({ ...base, outputPattern: '/a b/out' }), /cannot be used in an #SBATCH line/);
  assert.throws(() => renderSbatchScript({ ...base, env: { 'A;B': 'x' } }), /not valid/);
});
