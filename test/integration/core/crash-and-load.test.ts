/**
 * Crash recovery and a queue load test with real child processes sharing one data folder:
 * children run a core (test/fixtures/queue-child.ts) with the paced fake worker, which
 * writes one `loss` row per step; children are SIGKILLed mid-run and restarted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { makeTempDir } from '../../fixtures/temp-home.ts';
import { fakeWorker } from '../../fixtures/workers/fake-workers.ts';
import { startTestCore } from '../../fixtures/test-core.ts';
import { waitFor } from '../../fixtures/wait-for.ts';

const CHILD = fileURLToPath(new URL('../../fixtures/queue-child.ts', import.meta.url));

interface Child {
  proc: ChildProcess;
  lines: string[];
  exited: Promise<unknown>;
}

/** Highest step each run's child announced as committed (written in a finished transaction). */
const committed = new Map<string, number>();

function startChild(home: string, create: number, epochs: number, iterations: number): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, home, fakeWorker('paced').url.href, String(create), String(epochs), String(iterations)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buf = '';
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (d: string) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(line);
      const m = /^COMMITTED (\S+) (\d+)$/.exec(line);
      if (m) committed.set(m[1]!, Math.max(committed.get(m[1]!) ?? 0, Number(m[2])));
    }
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const exited = once(proc, 'exit').then(() => err);
  return { proc, lines, exited };
}

async function kill(child: Child): Promise<void> {
  if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
  await child.exited;
}

interface StepStats {
  rows: number;
  distinct: number;
  max: number;
}

function lossSteps(db: Database.Database, id: string): StepStats {
  return db.prepare(`SELECT count(*) AS rows, count(DISTINCT step) AS "distinct", coalesce(max(step), 0) AS "max" FROM metrics WHERE run = ? AND key = 'loss'`).get(id) as StepStats;
}

test('SIGKILL mid-run: a live owner is left alone; after the kill the next start marks the run interrupted and keeps every committed metric row', { timeout: 60_000 }, async () => {
  const tmp = makeTempDir('snca-crash-');
  const child = startChild(tmp.dir, 1, 100, 100); // 10,000 steps: still training when killed
  try {
    const id = await waitFor(() => /^OWNS (\S+)$/.exec(child.lines.find((l) => l.startsWith('OWNS')) ?? '')?.[1], 'child run');
    await waitFor(() => (committed.get(id) ?? 0) >= 30, 'metrics committed');
    // Another process opens the database while the owner is alive: nothing is interrupted.
    const live = await startTestCore('completing', { home: tmp.dir, adoptQueued: false });
    try {
      assert.deepEqual(live.core.recovery.interrupted, []);
      assert.ok(live.core.recovery.ownedElsewhere.includes(id));
      assert.equal(live.core.runs.summary(id).status, 'running');
    } finally {
      await live.dispose();
    }
    await kill(child);
    const lastCommitted = committed.get(id)!;
    const after = await startTestCore('completing', { home: tmp.dir, adoptQueued: false });
    try {
      assert.deepEqual(after.core.recovery.interrupted, [id]);
      assert.equal(after.core.runs.summary(id).status, 'interrupted');
      const s = lossSteps(after.store.db, id);
      assert.ok(s.max >= lastCommitted, `rows up to step ${lastCommitted} were committed before the kill; found up to ${s.max}`);
      assert.equal(s.rows, s.max, 'steps 1..max each stored once (no hole, no duplicate)');
      assert.equal(s.distinct, s.max);
    } finally {
      await after.dispose();
    }
  } finally {
    await kill(child);
    tmp.cleanup();
  }
});

test('load: 20 queued runs, 5 cancelled at random moments, two SIGKILLs mid-queue; every run ends correctly, no metric row lost or doubled', { timeout: 90_000 }, async (t) => {
  const started = Date.now();
  const tmp = makeTempDir('snca-load-');
  const EPOCHS = 2;
  const ITERS = 25;
  const STEPS = EPOCHS * ITERS;
  const seed = Date.now() % 100000;
  let rnd = seed;
  const random = () => ((rnd = (rnd * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const children: Child[] = [];
  const endedIn = (c: Child) => c.lines.filter((l) => / completed$/.test(l)).length;
  const parent = await startTestCore('paced', { home: tmp.dir, adoptQueued: false });
  try {
    const first = startChild(tmp.dir, 20, EPOCHS, ITERS);
    children.push(first);
    const ids = (await waitFor(() => first.lines.find((l) => l.startsWith('OWNS')), 'runs created')).slice(5).split(',');
    assert.equal(ids.length, 20);
    // 5 distinct runs, cancelled from another process (the parent) at random moments.
    const toCancel = [...ids].sort(() => random() - 0.5).slice(0, 5);
    const cancels = toCancel.map(async (id) => {
      await new Promise((r) => setTimeout(r, Math.floor(random() * 4000)));
      try {
        parent.core.runs.cancel(id);
      } catch {
        // already ended: a cancel arriving late is refused, which is fine
      }
    });

    // Kill the first child once it has completed some runs and is training another.
    await waitFor(() => endedIn(first) >= 4, 'first child progressed', 30_000);
    await kill(first);
    const second = startChild(tmp.dir, 0, EPOCHS, ITERS);
    children.push(second);
    await waitFor(() => endedIn(second) >= 4 || second.lines.includes('IDLE'), 'second child progressed', 30_000);
    await kill(second);
    const third = startChild(tmp.dir, 0, EPOCHS, ITERS);
    children.push(third);
    await Promise.all(cancels);
    await waitFor(() => third.lines.includes('IDLE'), 'third child drained the queue', 45_000);
    await third.exited;

    const db = new Database(join(tmp.dir, 'snca.db'), { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      const rows = db.prepare('SELECT id, status FROM runs').all() as { id: string; status: string }[];
      assert.equal(rows.length, 20);
      const byStatus: Record<string, number> = {};
      for (const r of rows) {
        byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
        assert.ok(['completed', 'cancelled', 'interrupted'].includes(r.status), `run ${r.id} ended ${r.status}`);
        const s = lossSteps(db, r.id);
        assert.equal(s.rows, s.distinct, `run ${r.id} (${r.status}): no duplicated step`);
        assert.equal(s.rows, s.max, `run ${r.id} (${r.status}): steps 1..${s.max} without a hole`);
        assert.ok(s.max >= (committed.get(r.id) ?? 0), `run ${r.id}: rows committed before a kill are kept`);
        if (r.status === 'completed') assert.equal(s.rows, STEPS, `completed run ${r.id} has every step`);
        else assert.ok(s.rows <= STEPS);
        if (r.status === 'cancelled') assert.ok(toCancel.includes(r.id), `only runs we cancelled end cancelled (${r.id})`);
      }
      t.diagnostic(`final states ${JSON.stringify(byStatus)} (seed ${seed})`);
      // At most one run trains at a time (1 slot): each kill interrupts at most one run.
      assert.ok((byStatus.interrupted ?? 0) <= 2, JSON.stringify(byStatus));
      assert.ok((byStatus.completed ?? 0) >= 20 - 5 - 2, JSON.stringify(byStatus));
      const queuePositions = db.prepare('SELECT count(*) FROM runs WHERE queue_position IS NOT NULL').pluck().get();
      assert.equal(queuePositions, 0, 'no run left in the queue');
    } finally {
      db.close();
    }
    assert.ok(Date.now() - started < 80_000, `bounded in time (took ${Date.now() - started} ms, seed ${seed})`);
  } finally {
    for (const c of children) await kill(c);
    await parent.dispose();
    tmp.cleanup();
  }
});
