/**
 * `snca import`, `snca models` and `snca embed` on the reference fixtures (test/fixtures/torch/,
 * embeddings computed by PyTorch in eval mode): every imported model's embeddings equal
 * PyTorch's within 1e-4 where no resampling is involved (CIFAR 32×32 images; a 256×256 image
 * that Resize(256) keeps and CenterCrop(224) cuts), and have cosine ≥ 0.999 through the
 * PIL-vs-our bilinear resize (a 300×200 image). Also `--model` given a run id or a checkpoint
 * file of ours, and the errors of a wrong image size and an unknown model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runCli } from '../../../src-main/cli/program.ts';
import { selectBackend } from '../../../src-main/engine/backend.ts';
import { createModel } from '../../../src-main/engine/models/model.ts';
import { exportStateDict } from '../../../src-main/engine/models/state-dict.ts';
import { writeFileAtomic } from '../../../src-main/engine/checkpoint/atomic-file.ts';
import { CHECKPOINT_FORMAT } from '../../../src-main/engine/checkpoint/checkpoint-format.ts';
import { encodeSafetensors, type NamedTensor } from '../../../src-main/engine/checkpoint/safetensors.ts';
import { RunConfigSchema } from '../../../shared/run-config.ts';
import { recordingContext } from '../../fixtures/cli-context.ts';
import { demoConfig } from '../../fixtures/run-records.ts';
import { newRunOf } from '../../../src-main/store/runs-repository.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';
import { openStore } from '../../../src-main/store/store.ts';
import { dataPaths } from '../../../src-main/core/data-home.ts';
import { expectedTorchFixtures, fixturePath, TORCH_FIXTURES } from '../acquire/torch-fixtures.ts';

const expected = expectedTorchFixtures();
const image = (name: string) => join(TORCH_FIXTURES, 'images', name);
/** Images the val transform does not resample. */
const EXACT = new Set(['cifar-a.png', 'cifar-b.png', 'imagenet-256.png']);

function cosine(a: readonly number[], b: readonly number[]): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}

test('snca import + snca embed: each reference fixture embeds as PyTorch does', { timeout: 300_000 }, async () => {
  const tmp = makeTempDir('snca-embed-');
  try {
    const ctx = () => recordingContext({ home: tmp.dir });
    const report: string[] = [];
    for (const [file, x] of Object.entries(expected.checkpoints)) {
      const name = file.split('.')[0]!;
      const imp = ctx();
      assert.equal(await runCli(['import', fixturePath(file), '--name', name], imp), 0, imp.err());
      assert.match(imp.out(), new RegExp(`Imported ${file.replace(/\./g, '\\.')} as model "${name}"`));
      assert.match(imp.err(), /sha256 .*reading and converting/s, 'a progress line per phase');
      const images = Object.keys(x.embeddings);
      const emb = ctx();
      assert.equal(await runCli(['embed', '--model', name, ...images.map(image)], emb), 0, emb.err());
      const rows = JSON.parse(emb.out()) as number[][];
      assert.equal(rows.length, images.length, 'one array per image');
      images.forEach((img, i) => {
        const ours = rows[i]!;
        const torch = x.embeddings[img]!;
        assert.equal(ours.length, x.lowDim);
        const maxDiff = Math.max(...ours.map((v, k) => Math.abs(v - torch[k]!)));
        const cos = cosine(ours, torch);
        report.push(`${name} ${img}: max |Δ| ${maxDiff.toExponential(2)}, cosine ${cos.toFixed(6)}`);
        if (EXACT.has(img)) assert.ok(maxDiff <= 1e-4, `${name} on ${img}: max |Δ| ${maxDiff} > 1e-4`);
        else assert.ok(cos >= 0.999, `${name} on ${img}: cosine ${cos} < 0.999`);
      });
    }
    console.log(report.join('\n'));
    const list = ctx();
    assert.equal(await runCli(['models'], list), 0, list.err());
    for (const file of Object.keys(expected.checkpoints)) assert.ok(list.out().includes(file), `snca models lists ${file}`);

    const wrongSize = ctx();
    assert.equal(await runCli(['embed', '--model', 'cifar-resnet18-w4', image('imagenet-256.png')], wrongSize), 1);
    assert.match(wrongSize.err(), /imagenet-256\.png.*256×256.*32×32/);
    const unknown = ctx();
    assert.equal(await runCli(['embed', '--model', 'no-such-model', image('cifar-a.png')], unknown), 1);
    assert.match(unknown.err(), /No imported model, run or checkpoint file is named "no-such-model"/);
  } finally {
    tmp.cleanup();
  }
});

test('snca embed --model takes a run id (its best checkpoint) or a checkpoint file of ours', { timeout: 120_000 }, async () => {
  const tmp = makeTempDir('snca-embed-run-');
  try {
    // An imported CIFAR model's weights in a checkpoint of ours: a cifar-resnet18 run config
    // cannot say width 4, so build the run's checkpoint from a width-64 net's shapes instead.
    const config = RunConfigSchema.parse(demoConfig({ arch: 'cifar-resnet18', dataset: { kind: 'cifar10', root: '/data/cifar' }, lowDim: 16 }));
    await selectBackend({ prefer: 'cpu' });
    const model = createModel('cifar-resnet18', { lowDim: 16, seed: 3 });
    const tensors = new Map<string, NamedTensor>();
    for (const [k, e] of await exportStateDict(model)) {
      tensors.set(k, e.dtype === 'int64' ? { dtype: 'I64', shape: e.shape, data: e.data } : { dtype: 'F32', shape: e.shape, data: e.data });
    }
    model.dispose();
    const paths = dataPaths(tmp.dir);
    const store = openStore(paths.database);
    const run = newRunOf('embedrun', config, { createdAt: Date.now(), ownerPid: null, heartbeatAt: null });
    store.runs.insert(run);
    const written = writeFileAtomic(
      join(paths.checkpointsDir(run.id), 'best.safetensors'),
      encodeSafetensors(tensors, { format: CHECKPOINT_FORMAT, version: '1', arch: config.arch, epoch: '3', step: '30', config: JSON.stringify(config), metrics: '{}' }),
    );
    store.checkpoints.record(run.id, { epoch: 3, kind: 'best', path: written.path, sha256: written.sha256, bytes: written.bytes, metrics: {} }, new Date().toISOString());
    store.close();
    const images = [image('cifar-a.png'), image('cifar-b.png')];
    const byRun = recordingContext({ home: tmp.dir });
    assert.equal(await runCli(['embed', '--model', run.id, ...images], byRun), 0, byRun.err());
    const byPath = recordingContext({ home: tmp.dir });
    assert.equal(await runCli(['embed', '--model', written.path, ...images], byPath), 0, byPath.err());
    const rows = JSON.parse(byRun.out()) as number[][];
    assert.deepEqual(JSON.parse(byPath.out()), rows, 'the run resolves to its best checkpoint file');
    assert.equal(rows.length, 2);
    for (const r of rows) {
      assert.equal(r.length, 16);
      assert.ok(Math.abs(Math.hypot(...r) - 1) < 1e-5, 'L2-normalised');
    }
    assert.notDeepEqual(rows[0], rows[1]);
  } finally {
    tmp.cleanup();
  }
});
