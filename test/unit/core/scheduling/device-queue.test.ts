/**
 * One job per device, through the real core with fake devices and a fake training worker
 * that reports how it was pinned (test/fixtures/workers/pinned-worker.ts):
 * - 4 webgpu GPUs run 4 queued runs at once, each in a worker thread pinned by adapter name;
 * - `--devices 1,3` on 4 CUDA GPUs uses only those, each run in a process of its own with
 *   CUDA_VISIBLE_DEVICES and CUDA_DEVICE_ORDER=PCI_BUS_ID set;
 * - a freed slot takes the next queued run, on the freed device;
 * - an evaluation takes a slot too, and a run waits for it;
 * - the settings choose the devices, persist, and refuse an unknown index.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ComputeDevice } from '../../../../shared/compute-devices.ts';
import type { RunSummary } from '../../../../shared/domain.ts';
import type { ApiError } from '../../../../shared/api-error.ts';
import { recordCheckpoint } from '../../../fixtures/checkpoint-records.ts';
import { demoConfig, newRun } from '../../../fixtures/run-records.ts';
import { startTestCore, type TestCore } from '../../../fixtures/test-core.ts';
import { waitFor } from '../../../fixtures/wait-for.ts';
import { fakeWorker } from '../../../fixtures/workers/fake-workers.ts';
import { makeTempDir } from '../../../fixtures/temp-home.ts';

const gpus = (route: ComputeDevice['route'], n: number): ComputeDevice[] =>
  Array.from({ length: n }, (_, index) => ({ route, index, name: `Fake GPU ${String.fromCharCode(65 + index)}` }));

async function queue(t: TestCore, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await t.core.runs.create(demoConfig({ name: `r${i}` }))).id);
  return ids;
}

const running = (t: TestCore, ids: readonly string[]) => ids.filter((id) => t.core.runs.summary(id).status === 'running');
/** A running run's device, once its worker has reported it. */
const deviceOf = (t: TestCore, id: string) => t.core.runs.summary(id).device;

function release(t: TestCore, id: string): Promise<RunSummary> {
  writeFileSync(join(t.core.paths.runDir(id), 'release'), '');
  return t.core.runs.whenEnded(id);
}

test('4 webgpu GPUs run 4 queued runs at once, each pinned to its own adapter; a freed slot takes the next run', { timeout: 60_000 }, async () => {
  const t = await startTestCore('pinned', { devices: gpus('webgpu', 4) });
  try {
    const ids = await queue(t, 6);
    const first = await waitFor(() => {
      const r = running(t, ids);
      return r.length === 4 && r.every((id) => deviceOf(t, id)) && r;
    }, '4 runs running with their devices');
    assert.deepEqual(first, ids.slice(0, 4), 'the first 4 in queue order');
    assert.deepEqual(ids.slice(4).map((id) => t.core.runs.summary(id).status), ['queued', 'queued']);
    const devices = first.map((id) => deviceOf(t, id));
    assert.deepEqual(devices.map((d) => /webgpu=(.*) pid/.exec(d!)![1]).sort(), ['Fake GPU A', 'Fake GPU B', 'Fake GPU C', 'Fake GPU D']);
    for (const d of devices) assert.match(d!, new RegExp(`^cuda=- order=- webgpu=Fake GPU [A-D] pid=${process.pid}$`), 'a worker thread of this process');
    assert.deepEqual(t.core.devices.state().busy.map((b) => b.device).sort(), ['webgpu:0', 'webgpu:1', 'webgpu:2', 'webgpu:3']);

    // The run on adapter C ends: the next queued run starts there, the last one still waits.
    const onC = first.find((id) => deviceOf(t, id)!.includes('Fake GPU C'))!;
    assert.equal((await release(t, onC)).status, 'completed');
    await waitFor(() => deviceOf(t, ids[4]!), 'the 5th run to start');
    assert.match(deviceOf(t, ids[4]!)!, /webgpu=Fake GPU C /);
    assert.equal(t.core.runs.summary(ids[5]!).status, 'queued');
    // Log lines reach the database in batches.
    await waitFor(() => t.store.logs.after(ids[4]!, 0, 100).some((l) => l.message === 'Device slot: webgpu:2 (Fake GPU C)'), 'the run\'s device slot in its log');

    for (const id of [...first.filter((id) => id !== onC), ids[4]!]) await release(t, id);
    await waitFor(() => deviceOf(t, ids[5]!), 'the 6th run to start');
    assert.equal((await release(t, ids[5]!)).status, 'completed');
  } finally {
    await t.dispose();
  }
});

test('--devices 1,3 on 4 CUDA GPUs: only those two, each run in its own process with CUDA_VISIBLE_DEVICES', { timeout: 90_000 }, async () => {
  const t = await startTestCore('pinned', { devices: gpus('cuda', 4), allowedDevices: [1, 3] });
  try {
    assert.deepEqual(t.core.devices.state().used.map((d) => d.index), [1, 3]);
    const ids = await queue(t, 3);
    const two = await waitFor(() => {
      const r = running(t, ids);
      return r.length === 2 && r.every((id) => deviceOf(t, id)) && r;
    }, '2 runs running with their devices', 30_000);
    const pins = two.map((id) => /^cuda=(\d) order=PCI_BUS_ID webgpu=- pid=(\d+)$/.exec(deviceOf(t, id)!));
    assert.ok(pins.every(Boolean), two.map((id) => deviceOf(t, id)).join('; '));
    assert.deepEqual(pins.map((m) => m![1]).sort(), ['1', '3']);
    const pids = pins.map((m) => Number(m![2]));
    assert.ok(pids.every((p) => p !== process.pid) && pids[0] !== pids[1], `own processes: ${pids.join(', ')} (test ${process.pid})`);
    assert.equal(t.core.runs.summary(ids[2]!).status, 'queued');

    const on3 = two.find((id) => deviceOf(t, id)!.startsWith('cuda=3'))!;
    assert.equal((await release(t, on3)).status, 'completed');
    await waitFor(() => deviceOf(t, ids[2]!), 'the 3rd run to start', 30_000);
    assert.match(deviceOf(t, ids[2]!)!, /^cuda=3 /);
    for (const id of [...two.filter((id) => id !== on3), ids[2]!]) assert.equal((await release(t, id)).status, 'completed');
  } finally {
    await t.dispose();
  }
});

test('an evaluation takes a device slot: a run waits for it, and starts on that device when it ends', { timeout: 60_000 }, async () => {
  const t = await startTestCore('pinned', { devices: gpus('webgpu', 1), evaluateWorkerEntry: fakeWorker('evaluating') });
  try {
    t.store.runs.insert(newRun('done1', { configJson: JSON.stringify(demoConfig()) }));
    t.store.runs.transition('done1', ['queued'], 'completed');
    const ckpt = recordCheckpoint(t, 'done1', 1, 10);
    // K=4: the fake evaluation worker holds on until it is cancelled.
    const evaluation = await t.core.evaluations.create({ checkpointId: ckpt.id, k: 4 });
    assert.deepEqual(t.core.devices.state().busy, [{ device: 'webgpu:0', job: `evaluation ${evaluation.id}` }]);
    const [id] = await queue(t, 1);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(t.core.runs.summary(id!).status, 'queued', 'the only device is evaluating');
    t.core.evaluations.cancel(evaluation.id);
    assert.equal((await t.core.evaluations.whenDone(evaluation.id)).status, 'cancelled');
    await waitFor(() => deviceOf(t, id!), 'the run to start after the evaluation');
    assert.match(deviceOf(t, id!)!, /webgpu=Fake GPU A /);
    assert.equal((await release(t, id!)).status, 'completed');
  } finally {
    await t.dispose();
  }
});

test('without devices a machine keeps one training slot and an evaluation slot beside it', { timeout: 60_000 }, async () => {
  const t = await startTestCore('pinned', { evaluateWorkerEntry: fakeWorker('evaluating') });
  try {
    t.store.runs.insert(newRun('done1', { configJson: JSON.stringify(demoConfig()) }));
    t.store.runs.transition('done1', ['queued'], 'completed');
    const ckpt = recordCheckpoint(t, 'done1', 1, 10);
    const evaluation = await t.core.evaluations.create({ checkpointId: ckpt.id, k: 4 });
    const ids = await queue(t, 2);
    await waitFor(() => deviceOf(t, ids[0]!), 'the first run to start beside the evaluation');
    assert.match(deviceOf(t, ids[0]!)!, new RegExp(`^cuda=- order=- webgpu=- pid=${process.pid}$`), 'unpinned');
    assert.equal(t.core.runs.summary(ids[1]!).status, 'queued');
    assert.deepEqual(t.core.devices.state(), { found: [], allowed: null, fromFlag: false, used: [], notes: [], busy: [] });
    t.core.evaluations.cancel(evaluation.id);
    for (const id of ids) {
      await waitFor(() => deviceOf(t, id), `run ${id} to start`);
      assert.equal((await release(t, id)).status, 'completed');
    }
  } finally {
    await t.dispose();
  }
});

test('system.setDevices saves the choice in settings.json, applies it now and at the next start; an unknown index is refused', { timeout: 60_000 }, async () => {
  const tmp = makeTempDir('snca-devices-');
  try {
    const t = await startTestCore('pinned', { home: tmp.dir, devices: gpus('webgpu', 3) });
    try {
      const state = await t.core.call('system.setDevices', { allowed: [2] });
      assert.deepEqual(state.used.map((d) => d.name), ['Fake GPU C']);
      const [id] = await queue(t, 1);
      await waitFor(() => deviceOf(t, id!), 'the run to start');
      assert.match(deviceOf(t, id!)!, /webgpu=Fake GPU C /);
      await release(t, id!);
      await assert.rejects(t.core.call('system.setDevices', { allowed: [0, 7] }), (e: ApiError) => {
        assert.equal(e.code, 'invalid_input');
        assert.match(e.message, /no device 7: the devices here are 0 \(Fake GPU A\), 1 \(Fake GPU B\), 2 \(Fake GPU C\)/);
        return true;
      });
    } finally {
      await t.dispose();
    }
    const again = await startTestCore('pinned', { home: tmp.dir, devices: gpus('webgpu', 3) });
    try {
      const s = await again.core.call('system.devices', {});
      assert.deepEqual({ allowed: s.allowed, used: s.used.map((d) => d.index), fromFlag: s.fromFlag }, { allowed: [2], used: [2], fromFlag: false });
    } finally {
      await again.dispose();
    }
    const flagged = await startTestCore('pinned', { home: tmp.dir, devices: gpus('webgpu', 3), allowedDevices: [0, 1] });
    try {
      const s = flagged.core.devices.state();
      assert.deepEqual({ allowed: s.allowed, used: s.used.map((d) => d.index), fromFlag: s.fromFlag }, { allowed: [0, 1], used: [0, 1], fromFlag: true });
    } finally {
      await flagged.dispose();
    }
  } finally {
    tmp.cleanup();
  }
});
