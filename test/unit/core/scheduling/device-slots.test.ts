/**
 * The slot pool and the device list: one job per device whatever its kind, lowest free
 * index first, unpinned CPU slots without devices, and what discovery keeps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowedDevicesOf, DeviceListError, parseDeviceList, type ComputeDevice } from '../../../../shared/compute-devices.ts';
import { discoverDevices, webgpuDevices } from '../../../../src-main/core/device-discovery.ts';
import { NVIDIA_SMI_ARGS } from '../../../../src-main/core/hardware.ts';
import { DeviceSlots } from '../../../../src-main/core/scheduling/device-slots.ts';

const cuda = (n: number): ComputeDevice[] => Array.from({ length: n }, (_, index) => ({ route: 'cuda', index, name: `GPU ${index}` }));

test('with devices every job takes one device, lowest free index first; release offers it to the listeners', () => {
  const slots = new DeviceSlots(cuda(2));
  let freed = 0;
  slots.onFreed(() => (freed += 1));
  const a = slots.acquire('training', 'run a')!;
  const b = slots.acquire('evaluation', 'evaluation 1')!;
  assert.deepEqual([a.device?.index, b.device?.index], [0, 1]);
  assert.equal(slots.acquire('embedding', 'bank'), null, 'both devices are taken, whatever the kind of job');
  slots.release(a);
  slots.release(a);
  assert.equal(freed, 1, 'a second release does nothing');
  assert.equal(slots.acquire('training', 'run c')!.device?.index, 0);
  slots.setUsable([cuda(2)[1]!]);
  slots.release(b);
  assert.equal(slots.acquire('training', 'run d')!.device?.index, 1);
  assert.equal(slots.acquire('training', 'run e'), null, 'device 0 is no longer usable (run c keeps it)');
});

test('without devices: N unpinned training slots and one evaluation and one embedding slot beside them', () => {
  const slots = new DeviceSlots([], 2);
  assert.ok(slots.acquire('training', 'a'));
  assert.ok(slots.acquire('training', 'b'));
  assert.equal(slots.acquire('training', 'c'), null);
  const e = slots.acquire('evaluation', 'e1')!;
  assert.equal(e.device, null);
  assert.equal(slots.acquire('evaluation', 'e2'), null);
  assert.ok(slots.acquire('embedding', 'm1'));
});

test('--devices: "all" or indices; anything else names the bad part', () => {
  assert.equal(parseDeviceList('all'), null);
  assert.deepEqual(parseDeviceList('3, 1,3'), [1, 3]);
  assert.throws(() => parseDeviceList('1,gpu2'), (e: Error) => e instanceof DeviceListError && /"gpu2" is not a device index/.test(e.message));
  assert.deepEqual(allowedDevicesOf(cuda(4), [1, 3]).map((d) => d.index), [1, 3]);
});

test('discovery: nvidia-smi GPUs with tfjs-node-gpu; else Dawn hardware adapters that a name selects unambiguously', async () => {
  const smi = '0, NVIDIA A100-SXM4-80GB, 3, 100, 81920\n1, NVIDIA A100-SXM4-80GB, 0, 5, 81920\n';
  const withCuda = await discoverDevices({
    installed: () => true,
    run: async (cmd, args) => {
      assert.deepEqual([cmd, args], ['nvidia-smi', NVIDIA_SMI_ARGS]);
      return smi;
    },
    listWebGpuAdapters: () => assert.fail('not asked when CUDA GPUs are found'),
  });
  assert.deepEqual(withCuda.devices, [
    { route: 'cuda', index: 0, name: 'NVIDIA A100-SXM4-80GB' },
    { route: 'cuda', index: 1, name: 'NVIDIA A100-SXM4-80GB' },
  ]);

  const adapters = [
    { backend: 'vulkan', name: 'NVIDIA GeForce RTX 3060 Ti' },
    { backend: 'vulkan', name: 'NVIDIA GeForce RTX 3060' },
    { backend: 'vulkan', name: 'AMD Radeon RX 7900 XTX' },
    { backend: 'vulkan', name: 'AMD Radeon RX 7900 XTX' },
    { backend: 'vulkan', name: 'SwiftShader Device (Subzero)' },
  ];
  const webgpu = await discoverDevices({ installed: (p) => p !== '@tensorflow/tfjs-node-gpu', listWebGpuAdapters: async () => adapters });
  assert.deepEqual(webgpu.devices, [
    { route: 'webgpu', index: 0, name: 'NVIDIA GeForce RTX 3060 Ti' },
    { route: 'webgpu', index: 2, name: 'AMD Radeon RX 7900 XTX' },
  ]);
  assert.equal(webgpu.notes.length, 3);
  assert.match(webgpu.notes[0]!, /webgpu:1 NVIDIA GeForce RTX 3060: .*"NVIDIA GeForce RTX 3060 Ti" comes first/);
  assert.match(webgpu.notes[2]!, /webgpu:4 SwiftShader .*software adapter/);
  assert.deepEqual(webgpuDevices([], []), []);

  const none = await discoverDevices({ installed: () => false });
  assert.deepEqual(none.devices, []);
});
