/**
 * Resume determinism on webgpu: a two-epoch run trained straight through, and the same run
 * resumed from its epoch-1 checkpoint, on the same backend and adapter in one thread. The
 * test asserts what was measured on the software adapter (SwiftShader; see README, GPU): the
 * resumed epoch's losses are within 1e-7 (relative) of the straight run's and its final
 * weights, memory bank and momentum differ by at most 2.4e-7 (absolute): NOT byte-identical,
 * so a resume on webgpu continues within a tolerance (1e-6 here), not exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileSha256, readCheckpoint } from '../../../src-main/engine/checkpoint/checkpoint-reader.ts';
import { runTraining, type TrainerHooks } from '../../../src-main/engine/train/trainer.ts';
import type { MetricPoint } from '../../../shared/domain.ts';
import { demoConfig } from '../../fixtures/run-records.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';
import { TINY_WEBGPU_RUN, useWebGpu } from '../../unit/engine/webgpu/software-webgpu.ts';

const config = demoConfig({
  ...TINY_WEBGPU_RUN,
  name: 'webgpu resume',
  epochs: 2,
  // Only the last epoch is evaluated: the kNN changes no weight, and software Vulkan is slow.
  eval: { ...TINY_WEBGPU_RUN.eval, everyEpochs: 100 },
  checkpoint: { keepEvery: 1 },
  seed: 5,
});

async function train(runDir: string, resumeFrom?: { path: string; sha256: string }): Promise<number[]> {
  const losses: number[] = [];
  const hooks: TrainerHooks = {
    started: () => {},
    progress: () => {},
    metrics: (points: MetricPoint[]) => {
      for (const p of points) if (p.key === 'loss') losses.push(p.value);
    },
    log: (_level, message) => process.stdout.write(`# ${message}\n`),
    checkpoint: () => {},
    cancelRequested: () => false,
  };
  const status = await runTraining({ config, runDir, backend: 'webgpu', ...(resumeFrom ? { resumeFrom } : {}) }, hooks);
  assert.equal(status, 'completed');
  return losses;
}

/** Largest absolute difference over every tensor of two checkpoints, and whether all bytes match. */
function compare(a: string, b: string): { maxAbs: number; identical: boolean } {
  const ta = readCheckpoint(a).tensors;
  const tb = readCheckpoint(b).tensors;
  assert.deepEqual([...ta.keys()], [...tb.keys()]);
  let maxAbs = 0;
  let identical = true;
  for (const [name, t] of ta) {
    const u = tb.get(name)!;
    const bytes = (x: typeof t) => Buffer.from(x.data.buffer, x.data.byteOffset, x.data.byteLength);
    if (!bytes(t).equals(bytes(u))) identical = false;
    if (t.data instanceof Float32Array && u.data instanceof Float32Array) {
      for (let i = 0; i < t.data.length; i++) maxAbs = Math.max(maxAbs, Math.abs(t.data[i]! - u.data[i]!));
    }
  }
  return { maxAbs, identical };
}

/** Measured on SwiftShader: 2.4e-7. */
const RESUME_TOLERANCE = 1e-6;

test('webgpu: a run resumed from its epoch-1 checkpoint continues within 1e-6 of the straight run', { timeout: 1_800_000 }, async () => {
  await useWebGpu();
  const tmp = makeTempDir('snca-webgpu-resume-');
  try {
    const straight = join(tmp.dir, 'straight');
    const resumed = join(tmp.dir, 'resumed');
    const lossStraight = await train(straight);
    const epoch1 = join(straight, 'checkpoints', 'epoch-0001.safetensors');
    const lossResumed = await train(resumed, { path: epoch1, sha256: fileSha256(epoch1) });

    const final = (dir: string) => join(dir, 'checkpoints', 'latest.safetensors');
    const resume = compare(final(straight), final(resumed));
    process.stdout.write(`# webgpu resume: identical=${resume.identical} max|Δ|=${resume.maxAbs} losses ${lossStraight.slice(2).join(',')} vs ${lossResumed.join(',')}\n`);
    assert.equal(lossStraight.length, 4);
    assert.equal(lossResumed.length, 2);
    lossResumed.forEach((l, i) => assert.ok(Math.abs(l - lossStraight[2 + i]!) <= RESUME_TOLERANCE * Math.max(1, Math.abs(l)), `loss ${i}: ${l} vs ${lossStraight[2 + i]}`));
    assert.ok(resume.maxAbs <= RESUME_TOLERANCE, `the resumed run's tensors differ by ${resume.maxAbs}`);
  } finally {
    tmp.cleanup();
    delete process.env.SNCA_BACKEND;
  }
});
