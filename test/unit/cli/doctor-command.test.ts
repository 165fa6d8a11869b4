/**
 * `snca doctor` through the real core and doctor worker: one row per backend, the
 * software adapter found and labelled (the machine has no GPU), wasm and cpu measured,
 * and every backend that does not load given a reason and a fix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { runCli } from '../../../src-main/cli/program.ts';
import { SWIFTSHADER_ICD } from '../../../src-main/engine/webgpu-device.ts';
import { BACKEND_NAMES, DoctorReportSchema } from '../../../shared/domain.ts';
import { recordingContext } from '../../fixtures/cli-context.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';

test('snca doctor --json: every backend, measured where it loads, reason and fix where it does not', { timeout: 300_000 }, async () => {
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  const saved = process.env.SNCA_BACKEND;
  delete process.env.SNCA_BACKEND;
  const tmp = makeTempDir();
  try {
    const ctx = recordingContext({ home: tmp.dir });
    const code = await runCli(['doctor', '--json'], ctx);
    assert.equal(code, 0, ctx.err());
    const report = DoctorReportSchema.parse(JSON.parse(ctx.out()));
    assert.deepEqual(report.backends.map((b) => b.backend), [...BACKEND_NAMES]);
    for (const b of report.backends) {
      if (b.loads) {
        assert.ok(b.installed && b.device, `${b.backend}: a backend that loads has a device`);
        assert.ok(b.gflops !== null && b.gflops > 0 && b.probeSize !== null, `${b.backend}: measured`);
      } else {
        assert.equal(b.gflops, null);
        assert.ok(b.reason && b.fix, `${b.backend}: a missing backend has a reason and a fix`);
      }
    }
    const byName = new Map(report.backends.map((b) => [b.backend, b]));
    assert.ok(byName.get('wasm')!.loads && byName.get('cpu')!.loads);
    const webgpu = byName.get('webgpu')!;
    assert.ok(webgpu.loads, `webgpu: ${webgpu.reason}`);
    if (webgpu.software) {
      assert.match(webgpu.device ?? '', /software WebGPU/);
      assert.match(webgpu.reason ?? '', /software adapter/);
      assert.notEqual(report.chosen, 'webgpu', 'a software adapter is not chosen by default');
    }
    const human = recordingContext({ home: tmp.dir });
    assert.equal(await runCli(['doctor'], human), 0);
    assert.match(human.out(), /^backend\s+installed\s+loads\s+device\s+matmul GFLOP\/s/);
    assert.match(human.out(), /New runs use: /);
  } finally {
    if (saved !== undefined) process.env.SNCA_BACKEND = saved;
    tmp.cleanup();
  }
});
