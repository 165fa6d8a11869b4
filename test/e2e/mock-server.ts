/**
 * A stand-in for serve mode with canned data, speaking the wire format of shared/api.ts:
 * POST /api/<method> with a bearer token → CallResult JSON; WebSocket /events?token= →
 * EventEnvelopes; everything else is a static file of dist/renderer. Training is simulated
 * with timers. Used to develop the UI and for the fast UI tests; the demo e2e uses the real server.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  PresetSchema,
  isMethodName,
  methods,
  transportNames,
  type ApiHandlers,
  type CallResult,
  type EventName,
  type EventPayload,
  type MethodName,
} from '../../shared/api.ts';
import { ApiError, HTTP_STATUS_OF } from '../../shared/api-error.ts';
import type { LogEntry, MetricPoint, RunDetail, RunSummary } from '../../shared/domain.ts';
import { PRESETS, type RunConfig } from '../../shared/run-config.ts';
import { safeParseWith } from '../../shared/validation.ts';

export interface MockServerOptions {
  /** Folder of the built renderer. */
  staticDir: string;
  /** Runs to start with (see `sampleRuns`). */
  seed?: 'empty' | 'samples';
  /** Milliseconds between simulated iterations. */
  tickMs?: number;
  /** Simulated iterations per epoch. */
  iterations?: number;
}

export interface MockServer {
  url: string;
  token: string;
  /** The address to open: `url/?token=…`. */
  appUrl: string;
  /** Drops every WebSocket connection (the client must reconnect). */
  dropSockets(): void;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

function iso(msAgo: number): string {
  return new Date(Date.now() - msAgo).toISOString();
}

function fullConfig(patch: Partial<RunConfig> & { name: string }): RunConfig {
  const preset = PRESETS[0].config;
  return methods['runs.create'].input.parse({ config: { ...preset, ...patch } }).config;
}

/** Curves that look like an NCA run: loss falling, kNN accuracy rising towards ~98 %. */
function curves(runId: string, epochs: number, iterations: number, upToEpoch: number): MetricPoint[] {
  const points: MetricPoint[] = [];
  let step = 0;
  const t0 = Date.now() - 3_600_000;
  for (let e = 0; e < upToEpoch; e++) {
    for (let i = 1; i <= iterations; i++) {
      step += 1;
      const x = e + i / iterations;
      const value = 5.2 * Math.exp(-0.9 * x) + 0.35 + 0.08 * Math.sin(step * 1.7);
      points.push({ key: 'loss', step, epoch: x, value, wallTime: t0 + step * 500 });
    }
    const acc = 0.985 - 0.2 * Math.exp(-1.1 * (e + 1));
    for (const [key, v] of [
      ['knn_top1', acc],
      ['knn_top5', Math.min(0.999, acc + 0.012)],
      ['nn_top1', acc - 0.01],
      ['train_loss', 5.2 * Math.exp(-0.9 * (e + 1)) + 0.4],
    ] as const) {
      points.push({ key, step, epoch: e + 1, value: v, wallTime: t0 + step * 500 });
    }
  }
  void runId;
  void epochs;
  return points;
}

interface RunState {
  detail: RunDetail;
  points: MetricPoint[];
  logs: LogEntry[];
  timer?: ReturnType<typeof setInterval>;
}

export async function startMockServer(options: MockServerOptions): Promise<MockServer> {
  const token = randomBytes(16).toString('hex');
  const staticDir = resolve(options.staticDir);
  const tickMs = options.tickMs ?? 60;
  const iterations = options.iterations ?? 20;
  const runs = new Map<string, RunState>();
  let nextId = 1;
  let nextLogId = 1;
  const sockets = new Set<WebSocket>();

  function emit<E extends EventName>(event: E, payload: EventPayload<E>) {
    const msg = JSON.stringify({ event, payload });
    for (const s of sockets) if (s.readyState === s.OPEN) s.send(msg);
  }
  function summaryOf(s: RunState): RunSummary {
    const { config: _c, ...summary } = s.detail;
    return summary;
  }
  function log(s: RunState, level: LogEntry['level'], message: string) {
    const entry: LogEntry = { id: nextLogId++, runId: s.detail.id, level, message, wallTime: Date.now() };
    s.logs.push(entry);
    emit('run.log', entry);
  }
  function lastMetrics(points: MetricPoint[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const p of points) out[p.key] = p.value;
    return out;
  }

  function addRun(config: RunConfig, patch: Partial<RunDetail> = {}, points: MetricPoint[] = []): RunState {
    const id = `run-${String(nextId++).padStart(4, '0')}`;
    const detail: RunDetail = {
      id,
      name: config.name,
      preset: config.preset,
      arch: config.arch,
      datasetKind: config.dataset.kind,
      version: 1,
      status: 'queued',
      createdAt: new Date().toISOString(),
      startedAt: null,
      endedAt: null,
      error: null,
      backend: null,
      device: null,
      epochs: config.epochs,
      epochsDone: 0,
      metrics: lastMetrics(points),
      config,
      ...patch,
    };
    const s: RunState = { detail, points, logs: [] };
    runs.set(id, s);
    return s;
  }

  if (options.seed === 'samples') {
    const c1 = fullConfig({ name: 'MNIST demo — baseline', epochs: 5 });
    const s1 = addRun(c1, { status: 'completed', createdAt: iso(7_200_000), startedAt: iso(7_190_000), endedAt: iso(6_900_000), backend: 'tensorflow', device: 'CPU (8 threads)', epochsDone: 5 }, curves('a', 5, 40, 5));
    s1.logs.push({ id: nextLogId++, runId: s1.detail.id, level: 'info', message: 'Epoch 5/5: loss 0.4213, 2210 img/s, 3.6 s', wallTime: Date.now() - 6_900_000 });
    const c2 = fullConfig({ name: 'MNIST τ=0.02', temperature: 0.02, epochs: 3 });
    addRun(c2, { status: 'failed', createdAt: iso(3_600_000), startedAt: iso(3_590_000), endedAt: iso(3_500_000), backend: 'wasm', device: 'WebAssembly SIMD', epochsDone: 1, error: 'The loss became NaN; lower the learning rate or raise the temperature (epoch 2, iteration 17)' }, curves('b', 3, 40, 1));
    const c3 = fullConfig({ name: 'MNIST, K=200', eval: { k: 200, everyEpochs: 1, monitor: 'knn_top1', recomputeMemory: false }, epochs: 8 });
    addRun(c3, { status: 'cancelled', createdAt: iso(1_800_000), startedAt: iso(1_790_000), endedAt: iso(1_600_000), backend: 'tensorflow', device: 'CPU (8 threads)', epochsDone: 2 }, curves('c', 8, 40, 2));
  }

  function simulate(s: RunState) {
    const d = s.detail;
    let epoch = 0;
    let iteration = 0;
    let step = 0;
    const startedMs = Date.now();
    setTimeout(() => {
      if (d.status !== 'queued') return;
      d.status = 'running';
      d.startedAt = new Date().toISOString();
      d.backend = 'cpu';
      d.device = 'mock CPU';
      emit('run.changed', summaryOf(s));
      log(s, 'info', `Backend cpu (mock); ${iterations} iterations per epoch`);
      emit('run.progress', { runId: d.id, phase: 'starting', epoch: 0, epochs: d.epochs, iteration: 0, iterations: 0, imagesPerSec: 0, etaSeconds: null });
      s.timer = setInterval(() => {
        if (d.status !== 'running') return;
        iteration += 1;
        step += 1;
        const x = epoch + iteration / iterations;
        const loss: MetricPoint = { key: 'loss', step, epoch: x, value: 5.2 * Math.exp(-0.9 * x) + 0.35 + 0.08 * Math.sin(step * 1.7), wallTime: Date.now() };
        s.points.push(loss);
        emit('run.metrics', { runId: d.id, points: [loss] });
        const done = epoch * iterations + iteration;
        const perIt = (Date.now() - startedMs) / 1000 / done;
        emit('run.progress', { runId: d.id, phase: 'train', epoch: epoch + 1, epochs: d.epochs, iteration, iterations, imagesPerSec: d.config.batchSize / (tickMs / 1000), etaSeconds: perIt * (d.epochs * iterations - done) });
        if (iteration === iterations) {
          epoch += 1;
          iteration = 0;
          const acc = 0.985 - 0.2 * Math.exp(-1.1 * epoch);
          const pts: MetricPoint[] = [
            { key: 'knn_top1', step, epoch, value: acc, wallTime: Date.now() },
            { key: 'knn_top5', step, epoch, value: Math.min(0.999, acc + 0.012), wallTime: Date.now() },
            { key: 'nn_top1', step, epoch, value: acc - 0.01, wallTime: Date.now() },
            { key: 'train_loss', step, epoch, value: 5.2 * Math.exp(-0.9 * epoch) + 0.4, wallTime: Date.now() },
          ];
          s.points.push(...pts);
          emit('run.metrics', { runId: d.id, points: pts });
          d.epochsDone = epoch;
          d.metrics = lastMetrics(s.points);
          log(s, 'info', `Epoch ${epoch}/${d.epochs}: kNN top-1 ${(acc * 100).toFixed(2)}%`);
          if (epoch === d.epochs) {
            clearInterval(s.timer);
            d.status = 'completed';
            d.endedAt = new Date().toISOString();
            log(s, 'info', 'Run completed');
          }
          emit('run.changed', summaryOf(s));
        }
      }, tickMs);
    }, 250);
  }

  function downsample(values: MetricPoint[], maxPoints: number): MetricPoint[] {
    if (values.length <= maxPoints) return values;
    const stride = Math.ceil(values.length / maxPoints);
    return values.filter((_, i) => i % stride === 0 || i === values.length - 1);
  }

  /** A fake download/import: a few dataset.progress events, then done. */
  function mockDatasetJob(kind: 'cifar10' | 'cifar100', root: string, how: 'download' | 'import') {
    const jobId = `job-${Math.random().toString(36).slice(2, 10)}`;
    const total = 170_498_071;
    const steps: { phase: 'download' | 'verify' | 'extract' | 'done'; bytes: number }[] =
      how === 'download'
        ? [{ phase: 'download', bytes: 0 }, { phase: 'download', bytes: total / 3 }, { phase: 'download', bytes: (2 * total) / 3 }, { phase: 'verify', bytes: total }, { phase: 'extract', bytes: total }, { phase: 'done', bytes: total }]
        : [{ phase: 'verify', bytes: 0 }, { phase: 'extract', bytes: total }, { phase: 'done', bytes: total }];
    steps.forEach((st, i) =>
      setTimeout(() => emit('dataset.progress', { jobId, kind, root, bytes: Math.round(st.bytes), totalBytes: total, bytesPerSec: st.phase === 'download' ? 5e6 : 0, phase: st.phase, ...(st.phase === 'done' ? { message: `ready in ${root}` } : {}) }), 150 * (i + 1)),
    );
    return { jobId, root };
  }

  const handlers: ApiHandlers = {
    'system.info': () => ({ version: '0.1.0-mock', dataHome: '/tmp/snca-mock', backends: ['cpu'], backend: 'cpu', platform: process.platform, shell: 'serve' }),
    'presets.list': () => PRESETS.map((p) => PresetSchema.parse(p)),
    'runs.list': () => [...runs.values()].map(summaryOf).sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1)),
    'runs.query': () => {
      throw new ApiError('unavailable', 'runs.query is answered only by the real core');
    },
    'compare.checkpoints': () => {
      throw new ApiError('unavailable', 'compare.checkpoints is answered only by the real core');
    },
    'compare.neighbours': () => {
      throw new ApiError('unavailable', 'compare.neighbours is answered only by the real core');
    },
    'runs.locate': () => {
      throw new ApiError('unavailable', 'runs.locate is answered only by the real core');
    },
    'runs.get': ({ id }) => {
      const s = runs.get(id);
      if (!s) throw ApiError.notFound(`Run ${id}`);
      return s.detail;
    },
    'runs.create': ({ config }) => {
      if (config.name === 'server-reject') {
        throw ApiError.invalidInput([{ path: 'config.name', message: 'a run with this name already exists' }]);
      }
      const s = addRun(config);
      emit('run.changed', summaryOf(s));
      simulate(s);
      return summaryOf(s);
    },
    'runs.cancel': ({ id }) => {
      const s = runs.get(id);
      if (!s) throw ApiError.notFound(`Run ${id}`);
      if (s.detail.status !== 'queued' && s.detail.status !== 'running') throw new ApiError('conflict', `Run ${id} is ${s.detail.status}`);
      if (s.timer) clearInterval(s.timer);
      s.detail.status = 'cancelled';
      s.detail.endedAt = new Date().toISOString();
      emit('run.changed', summaryOf(s));
      return summaryOf(s);
    },
    // Queue, housekeeping, evaluations and hardware (simple in-memory versions).
    'runs.reorder': ({ ids }) => ids.map((id) => {
      const s = runs.get(id);
      if (!s) throw ApiError.notFound(`Run ${id}`);
      return summaryOf(s);
    }),
    'runs.removeQueued': ({ id }) => {
      const s = runs.get(id);
      if (!s) throw ApiError.notFound(`Run ${id}`);
      if (s.detail.status !== 'queued') throw new ApiError('conflict', `Run ${id} is ${s.detail.status}`);
      runs.delete(id);
      emit('run.removed', { id });
      return { id, removed: true };
    },
    'runs.update': ({ id, name, tags, notes }) => {
      const s = runs.get(id);
      if (!s) throw ApiError.notFound(`Run ${id}`);
      Object.assign(s.detail, { ...(name !== undefined ? { name } : {}), ...(tags ? { tags } : {}), ...(notes !== undefined ? { notes } : {}) });
      emit('run.changed', summaryOf(s));
      return summaryOf(s);
    },
    'runs.delete': ({ id }) => {
      const s = runs.get(id);
      if (!s) throw ApiError.notFound(`Run ${id}`);
      if (s.detail.status === 'queued' || s.detail.status === 'running') throw new ApiError('conflict', `Run ${id} is ${s.detail.status}`);
      runs.delete(id);
      emit('run.removed', { id });
      return { id, deleted: true, bytesFreed: 0 };
    },
    'runs.export': ({ id, format }) => {
      const s = runs.get(id);
      if (!s) throw ApiError.notFound(`Run ${id}`);
      return format === 'json'
        ? { filename: `${id}.json`, mediaType: 'application/json', content: JSON.stringify({ run: summaryOf(s), metrics: s.points }) }
        : { filename: `${id}.csv`, mediaType: 'text/csv', content: 'kind,key,step,epoch,value,wall_time\n' };
    },
    'runs.diskUsage': () => [...runs.keys()].map((id) => ({ id, bytes: 0 })),
    'evaluations.create': () => {
      throw new ApiError('conflict', 'The mock server has no checkpoints to evaluate.');
    },
    'evaluations.list': () => [],
    'evaluations.cancel': ({ id }) => {
      throw ApiError.notFound(`Evaluation ${id}`);
    },
    'system.hardware': () => ({ backend: 'cpu', device: 'mock CPU', cpuCount: 2, gpus: null, gpuNote: 'nvidia-smi was not found on this machine (mock)' }),
    // The hardware panel asks for it on every run page: one fixed report.
    'system.doctor': () => ({
      backends: [{ backend: 'cpu', installed: true, loads: true, device: 'CPU (mock)', software: false, gflops: 1, probeSize: 256, reason: null, fix: null }],
      chosen: 'cpu',
      measuredAt: 0,
      platform: process.platform,
    }),
    'runs.resume': ({ id }) => {
      const s = runs.get(id);
      if (!s) throw ApiError.notFound(`Run ${id}`);
      if (!['interrupted', 'failed', 'cancelled'].includes(s.detail.status)) throw new ApiError('conflict', `Run ${id} is ${s.detail.status}`);
      s.detail.status = 'queued';
      s.detail.endedAt = null;
      s.detail.error = null;
      emit('run.changed', summaryOf(s));
      simulate(s);
      return summaryOf(s);
    },
    'runs.metrics': ({ id, keys, maxPoints }) => {
      const s = runs.get(id);
      if (!s) throw ApiError.notFound(`Run ${id}`);
      const byKey = new Map<string, MetricPoint[]>();
      for (const p of s.points) {
        if (keys && !keys.includes(p.key)) continue;
        const list = byKey.get(p.key) ?? [];
        list.push(p);
        byKey.set(p.key, list);
      }
      return [...byKey].map(([key, pts]) => {
        const d = downsample(pts, maxPoints);
        return { key, step: d.map((p) => p.step), epoch: d.map((p) => p.epoch), value: d.map((p) => p.value) };
      });
    },
    'runs.logs': ({ id, afterId, limit }) => {
      const s = runs.get(id);
      if (!s) throw ApiError.notFound(`Run ${id}`);
      return s.logs.filter((l) => l.id > afterId).slice(0, limit);
    },
    'runs.checkpoints': () => [],
    'datasets.validate': ({ spec }) => {
      const root = 'root' in spec ? spec.root : '';
      if (root.includes('missing')) return { ok: false, message: `${root}: folder does not exist`, path: root, summary: null };
      return { ok: true, message: null, path: null, summary: { kind: spec.kind, dir: root, format: 'binary', classes: 10, trainCount: 50000, valCount: 10000 } };
    },
    'datasets.download': ({ kind, root }) => mockDatasetJob(kind, root ?? `/tmp/snca-mock/datasets/${kind}`, 'download'),
    'datasets.import': ({ kind, root }) => mockDatasetJob(kind, root ?? `/tmp/snca-mock/datasets/${kind}`, 'import'),
    'datasets.cancelDownload': () => ({ cancelled: true }),
    'runs.submit': () => {
      throw new ApiError('unavailable', 'not in the mock');
    },
    'runs.cluster': () => null,
    'checkpoints.fetch': ({ id }) => {
      throw ApiError.notFound(`Checkpoint ${id}`);
    },
    'clusters.list': () => [],
    'clusters.add': () => {
      throw new ApiError('unavailable', 'not in the mock');
    },
    'clusters.remove': ({ name }) => {
      throw ApiError.notFound(`Cluster "${name}"`);
    },
    'clusters.check': ({ name }) => {
      throw ApiError.notFound(`Cluster "${name}"`);
    },
  };

  function send(res: ServerResponse, status: number, body: CallResult<unknown>) {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(body));
  }
  function fail(res: ServerResponse, err: ApiError) {
    send(res, HTTP_STATUS_OF[err.code], { ok: false, error: err.toPayload() });
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, name: MethodName) {
    if (req.headers.authorization !== `Bearer ${token}`) return fail(res, new ApiError('unauthorized', 'missing or wrong token'));
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    } catch {
      return fail(res, new ApiError('invalid_input', 'the body is not JSON'));
    }
    const parsed = safeParseWith(methods[name].input, body);
    if (!parsed.ok) return fail(res, ApiError.invalidInput(parsed.issues));
    try {
      const handler = handlers[name] as (i: unknown) => unknown;
      send(res, 200, { ok: true, result: await handler(parsed.value) });
    } catch (err) {
      fail(res, ApiError.from(err));
    }
  }

  async function handleStatic(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://x');
    const rel = normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '');
    const file = join(staticDir, rel === '' ? 'index.html' : rel);
    if (!file.startsWith(staticDir)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const data = await readFile(file);
      res.writeHead(200, { 'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(data);
    } catch {
      res.writeHead(404).end('not found');
    }
  }

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const prefix = transportNames.httpPath('system.info').replace('system.info', '');
    if (path.startsWith(prefix)) {
      const name = path.slice(prefix.length);
      if (req.method !== 'POST' || !isMethodName(name)) return fail(res, new ApiError('not_found', `no method ${name}`));
      void handleApi(req, res, name);
      return;
    }
    void handleStatic(req, res);
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== transportNames.wsPath || url.searchParams.get('token') !== token) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
    });
  });

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    token,
    appUrl: `${url}/?token=${token}`,
    dropSockets() {
      for (const s of sockets) s.terminate();
    },
    async close() {
      for (const s of runs.values()) if (s.timer) clearInterval(s.timer);
      for (const s of sockets) s.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** `node --import tsx test/e2e/mock-server.ts [--samples]`: a mock to click through by hand. */
if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const m = await startMockServer({ staticDir: 'dist/renderer', seed: process.argv.includes('--samples') ? 'samples' : 'empty' });
  console.log(`mock serve mode: ${m.appUrl}`);
}
