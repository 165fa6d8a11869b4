import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeHardware, GpuSampler, NVIDIA_SMI_ARGS, parseNvidiaSmiCsv, type CommandRunner } from '../../../src-main/core/hardware.ts';
import { EventBus } from '../../../src-main/core/event-bus.ts';
import { openStore } from '../../../src-main/store/store.ts';
import { newRun } from '../../fixtures/run-records.ts';

/** Captured from `nvidia-smi --query-gpu=index,name,utilization.gpu,memory.used,memory.total --format=csv,noheader,nounits` on a two-GPU box. */
const CAPTURED = '0, NVIDIA GeForce RTX 3090, 87, 20145, 24576\n1, NVIDIA A100-SXM4-40GB, [N/A], 3, 40960\n';

test('parseNvidiaSmiCsv reads every GPU; N/A becomes 0', () => {
  assert.deepEqual(parseNvidiaSmiCsv(CAPTURED), [
    { index: 0, name: 'NVIDIA GeForce RTX 3090', utilization: 87, memoryUsedMb: 20145, memoryTotalMb: 24576 },
    { index: 1, name: 'NVIDIA A100-SXM4-40GB', utilization: 0, memoryUsedMb: 3, memoryTotalMb: 40960 },
  ]);
  assert.deepEqual(parseNvidiaSmiCsv('0, Odd, Name, 5, 10, 20\r\n\n'), [{ index: 0, name: 'Odd, Name', utilization: 5, memoryUsedMb: 10, memoryTotalMb: 20 }]);
  assert.deepEqual(parseNvidiaSmiCsv('No devices were found\n'), []);
});

test('describeHardware: GPUs from nvidia-smi, or a note when it is missing', async () => {
  const calls: string[][] = [];
  const fake: CommandRunner = async (cmd, args) => {
    calls.push([cmd, ...args]);
    return CAPTURED;
  };
  const hw = await describeHardware('tensorflow-gpu', fake);
  assert.deepEqual(calls, [['nvidia-smi', ...NVIDIA_SMI_ARGS]]);
  assert.equal(hw.device, 'NVIDIA GeForce RTX 3090');
  assert.equal(hw.gpus?.length, 2);
  const missing: CommandRunner = async () => {
    throw Object.assign(new Error('spawn nvidia-smi ENOENT'), { code: 'ENOENT' });
  };
  const none = await describeHardware('wasm', missing);
  assert.equal(none.gpus, null);
  assert.match(none.gpuNote ?? '', /nvidia-smi was not found/);
});

test('GpuSampler stores gpu_util / gpu_mem_mb on running runs only, and stops for good without nvidia-smi', async () => {
  const store = openStore(':memory:');
  const bus = new EventBus();
  store.runs.insert(newRun('r1'));
  store.runs.transition('r1', ['queued'], 'running');
  store.runs.insert(newRun('r2'));
  let running = ['r1'];
  const sampler = new GpuSampler({ store, bus, runningIds: () => running, run: async () => CAPTURED, diagnostics: () => {} });
  assert.equal(await sampler.sample(), 2);
  assert.equal(await sampler.sample(), 2);
  assert.deepEqual(store.metrics.lastValues('r1'), { gpu_mem_mb: 20148, gpu_util: 43.5 });
  assert.deepEqual([...store.metrics.series('r1', 'gpu_util').step], [1, 2]);
  assert.equal(store.metrics.count('r2'), 0, 'queued runs get no readings');
  running = [];
  assert.equal(await sampler.sample(), 0, 'nothing training: nvidia-smi is not even run');

  let calls = 0;
  const gone = new GpuSampler({
    store,
    bus,
    runningIds: () => ['r1'],
    run: async () => {
      calls += 1;
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    },
    diagnostics: () => {},
  });
  assert.equal(await gone.sample(), 0);
  assert.equal(await gone.sample(), 0);
  assert.equal(calls, 1, 'a missing nvidia-smi is not retried');
  store.close();
});
