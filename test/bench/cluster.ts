/**
 * Cluster benchmark (`npm run bench -- cluster`), against the real one-node Slurm cluster
 * (test/cluster/slurm-one-node.sh start):
 * - ingest rate of cluster event logs: a run's log of metric lines read by byte offset in the
 *   app's chunks, parsed and ingested (cluster-log-ingest.ts), rows per second;
 * - delay from a metric line appended on the node to its `run.metrics` event arriving on serve
 *   mode's /events WebSocket, at the default 3 s poll period;
 * - polling cost with 200 cluster runs (200 separate jobs, and a 200-point sweep as one job
 *   array): time per poll cycle, and the Slurm commands and log reads one cycle makes.
 * The jobs run a stand-in app that only sleeps, so Slurm and the app are timed, not training.
 */
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { EventEnvelope } from '../../shared/api.ts';
import type { MetricPoint } from '../../shared/domain.ts';
import { findPreset, RunConfigSchema } from '../../shared/run-config.ts';
import { LocalShell, type ClusterShell } from '../../src-main/cluster/cluster-shell.ts';
import { EVENT_LOG_FILE } from '../../src-main/cluster/cluster-job.ts';
import { parseEventLogChunk } from '../../src-main/cluster/event-log.ts';
import { ClustersService } from '../../src-main/core/clusters/clusters-service.ts';
import { ClusterRunsService } from '../../src-main/core/clusters/cluster-runs-service.ts';
import { ingestEventLines } from '../../src-main/core/clusters/cluster-log-ingest.ts';
import { createCore } from '../../src-main/core/core.ts';
import { dataPaths } from '../../src-main/core/data-home.ts';
import { EventBus } from '../../src-main/core/event-bus.ts';
import { newRunId } from '../../src-main/core/run-id.ts';
import { startServer } from '../../src-main/server/http-server.ts';
import { openStore } from '../../src-main/store/store.ts';
import { newRunOf } from '../../src-main/store/runs-repository.ts';

const SLEEPING_APP = `#!/usr/bin/env node
// Stands in for snca cluster-job in the cluster bench: holds its Slurm allocation, writes nothing.
setTimeout(() => {}, 30 * 60_000);
`;

function config(name: string) {
  const preset = findPreset('mnist-demo')!;
  return RunConfigSchema.parse({ ...preset.config, name, epochs: 1, workers: 0, dataset: { kind: 'mnist', trainSize: 100, valSize: 100 } });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Event-log lines of `rows` loss points in lines of `perLine` (one line per flush of the node's writer). */
function syntheticLog(rows: number, perLine: number, wallTime: number): string {
  const lines: string[] = [];
  let seq = 0;
  for (let step = 1; step <= rows; step += perLine) {
    const points: MetricPoint[] = [];
    for (let s = step; s < step + perLine && s <= rows; s++) points.push({ key: 'loss', step: s, epoch: s / 1000, value: 3 - s / rows, wallTime });
    lines.push(JSON.stringify({ seq: seq++, event: { type: 'metrics', points } }));
    lines.push(JSON.stringify({ seq: seq++, event: { type: 'progress', progress: { epoch: 0, epochs: 1, iteration: step, iterations: rows, phase: 'train', imagesPerSec: 1000, etaSeconds: 10 } } }));
  }
  return `${lines.join('\n')}\n`;
}

async function benchIngest(dir: string): Promise<Record<string, unknown>> {
  const rows = 200_000;
  const perLine = 100;
  const logPath = join(dir, 'ingest-events.jsonl');
  writeFileSync(logPath, syntheticLog(rows, perLine, Date.now()));
  const store = openStore(join(dir, 'ingest.db'));
  try {
    const runId = newRunId();
    store.runs.insert(newRunOf(runId, config('ingest'), { createdAt: Date.now(), ownerPid: null, heartbeatAt: null }));
    store.clusters.add({ name: 'bench', route: { kind: 'local' }, workDir: dir, defaults: { gpus: 0, cpus: 1 }, autoResubmit: 0, createdAt: new Date().toISOString() });
    store.clusters.addRun({ runId, cluster: 'bench', runDir: dir, resources: { gpus: 0, cpus: 1 }, sweep: null });
    const bus = new EventBus();
    const shell = new LocalShell();
    const start = performance.now();
    let offset = 0;
    let ingested = 0;
    let reads = 0;
    for (;;) {
      const bytes = await shell.readFrom(logPath, offset, 4 << 20);
      reads++;
      if (!bytes || bytes.length === 0) break;
      const chunk = parseEventLogChunk(bytes, offset, logPath);
      ingested += ingestEventLines(store, bus, runId, chunk.lines, chunk.nextOffset).metricRows;
      offset = chunk.nextOffset;
    }
    const seconds = (performance.now() - start) / 1000;
    // A second pass over the same log (a re-read) ingests nothing.
    const again = ingestEventLines(store, bus, runId, parseEventLogChunk(new Uint8Array(Buffer.from(syntheticLog(rows, perLine, Date.now()))), 0, logPath).lines, offset).metricRows;
    return { rows: ingested, lines_per_row: 2 / perLine, chunk_reads: reads, seconds: +seconds.toFixed(2), rows_per_sec: Math.round(ingested / seconds), reread_rows_ingested: again };
  } finally {
    store.close();
  }
}

interface Counted {
  shell: ClusterShell;
  calls: Map<string, number>;
}

function countingShell(): Counted {
  const inner = new LocalShell();
  const calls = new Map<string, number>();
  const bump = (k: string) => calls.set(k, (calls.get(k) ?? 0) + 1);
  return {
    calls,
    shell: {
      description: inner.description,
      run: (command, args, options) => (bump(command), inner.run(command, args, options)),
      readFrom: (path, offset, max) => (bump('log read'), inner.readFrom(path, offset, max)),
    },
  };
}

export async function benchCluster(): Promise<Record<string, unknown>> {
  const probe = await new LocalShell().run('sinfo', ['-h', '-o', '%T']).catch((err: unknown) => ({ code: -1, stdout: '', stderr: String(err) }));
  if (probe.code !== 0) return { error: `no Slurm cluster answers here: start one with test/cluster/slurm-one-node.sh start (${probe.stderr.trim()})` };
  const dir = mkdtempSync(join(tmpdir(), 'snca-bench-cluster-'));
  chmodSync(dir, 0o755);
  const workDir = join(dir, 'work');
  mkdirSync(join(workDir, 'app', 'bin'), { recursive: true });
  writeFileSync(join(workDir, 'app', 'bin', 'snca.js'), SLEEPING_APP);
  const jobIds = new Set<number>();
  const out: Record<string, unknown> = {};
  const home = join(dir, 'home');
  const diagnostics = (l: string) => console.error(`bench cluster: ${l}`);
  // The delay is measured at the default poll period; the polling cost with a core that does
  // not poll on its own (its next poll an hour away), so that only the measured cycles run.
  let core = await createCore({ home, diagnostics });
  let server: Awaited<ReturnType<typeof startServer>> | null = null;
  try {
    out.ingest = await benchIngest(dir);

    // Delay: one running job; the bench appends metric lines to its log as the node would.
    await core.call('clusters.add', { name: 'bench', route: { kind: 'local' }, workDir, defaults: { gpus: 0, cpus: 1, time: '30' }, autoResubmit: 0 });
    const runId = (await core.call('runs.submit', { config: config('delay'), cluster: 'bench' })).runs[0]!.id;
    const detail = (await core.call('runs.cluster', { id: runId }))!;
    jobIds.add(detail.jobId!);
    for (const start = Date.now(); (await core.call('runs.get', { id: runId })).status !== 'running'; ) {
      if (Date.now() - start > 60_000) throw new Error('the delay job did not start within 60 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    server = await startServer({ handlers: core.handlers, bus: core.bus, port: 0, diagnostics: () => {} });
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events?token=${encodeURIComponent(server.token)}`);
    await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)));
    const arrived = new Map<number, number>();
    ws.on('message', (data) => {
      const e = JSON.parse(String(data)) as EventEnvelope;
      if (e.event === 'run.metrics' && e.payload.runId === runId) for (const p of e.payload.points) arrived.set(p.step, Date.now());
    });
    const logPath = join(detail.runDir, EVENT_LOG_FILE);
    const delays: number[] = [];
    const samples = 15;
    for (let i = 1; i <= samples; i++) {
      await new Promise((r) => setTimeout(r, 500 + Math.random() * 3000));
      const written = Date.now();
      appendFileSync(logPath, `${JSON.stringify({ seq: i, event: { type: 'metrics', points: [{ key: 'loss', step: i, epoch: 0, value: 1, wallTime: written }] } })}\n`);
      while (!arrived.has(i)) {
        if (Date.now() - written > 30_000) throw new Error(`metric ${i} did not arrive within 30 s`);
        await new Promise((r) => setTimeout(r, 5));
      }
      delays.push(arrived.get(i)! - written);
    }
    ws.close();
    await server.close();
    server = null;
    await core.close();
    core = await createCore({ home, diagnostics, clusterPollMs: 3_600_000 });
    out.metric_to_window_ms = { poll_period_ms: 3000, samples, median: median(delays), max: Math.max(...delays), min: Math.min(...delays) };

    // Polling cost: 200 separate jobs, then a 200-point sweep (one job array). A service of its
    // own follows them, with a shell that counts what one poll cycle runs.
    const poll = async (label: string, submit: () => Promise<string[]>) => {
      const t = performance.now();
      const ids = await submit();
      const submitSeconds = (performance.now() - t) / 1000;
      for (const id of ids) {
        const d = await core.call('runs.cluster', { id });
        if (d?.jobId) jobIds.add(d.jobId);
      }
      const counted = countingShell();
      const store = openStore(join(home, 'snca.db'));
      const follower = new ClusterRunsService({
        store,
        bus: new EventBus(),
        paths: dataPaths(home),
        clusters: new ClustersService({ store, now: Date.now, shellFor: () => counted.shell }),
        newId: newRunId,
        now: Date.now,
        diagnostics,
      });
      try {
        await follower.pollNow();
        const cycles = 5;
        counted.calls.clear();
        const times: number[] = [];
        for (let i = 0; i < cycles; i++) {
          const s = performance.now();
          await follower.pollNow();
          times.push(performance.now() - s);
        }
        const perCycle = Object.fromEntries([...counted.calls].map(([k, v]) => [k, v / cycles]));
        out[label] = { runs_followed: store.clusters.activeRuns().length, submit_seconds: +submitSeconds.toFixed(1), poll_cycle_ms_median: Math.round(median(times)), calls_per_cycle: perCycle };
      } finally {
        await follower.close();
        store.close();
      }
    };
    await poll('poll_200_jobs', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 200; i++) ids.push((await core.call('runs.submit', { config: config(`poll ${i}`), cluster: 'bench' })).runs[0]!.id);
      return ids;
    });
    await poll('poll_200_jobs_plus_sweep_of_200', async () =>
      (await core.call('runs.submit', { config: config('sweep'), cluster: 'bench', sweep: [{ path: 'seed', values: Array.from({ length: 200 }, (_, i) => i + 1) }] })).runs.map((r) => r.id),
    );
  } finally {
    if (jobIds.size > 0) await new LocalShell().run('scancel', [...jobIds].map(String)).catch(() => undefined);
    await server?.close();
    await core.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
