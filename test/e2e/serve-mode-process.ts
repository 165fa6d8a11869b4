/**
 * `snca serve` (the CLI's own serve command, createCore + startServer) in a child process,
 * with the fakes a browser test needs where the real thing cannot run offline: a fake
 * training worker from test/fixtures/workers, and a CIFAR archive served on 127.0.0.1 instead
 * of the official site. Everything else (core, store, transport, renderer) is the real one.
 * Usage: SNCA_HOME=… node --import tsx test/e2e/serve-mode-process.ts --port N
 *          [--fake-worker NAME] [--cifar-url URL --cifar-md5 MD5]
 */
import { parseArgs } from 'node:util';
import { processContext } from '../../src-main/cli/cli-context.ts';
import { runCli } from '../../src-main/cli/program.ts';
import type { CoreOptions } from '../../src-main/core/core.ts';
import { FAKE_WORKERS, fakeWorker, type FakeWorker } from '../fixtures/workers/fake-workers.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'fake-worker': { type: 'string' },
    'cifar-url': { type: 'string' },
    'cifar-md5': { type: 'string' },
  },
});

function isFakeWorker(name: string): name is FakeWorker {
  return (FAKE_WORKERS as readonly string[]).includes(name);
}

const coreOptions: CoreOptions = {};
const worker = values['fake-worker'];
if (worker !== undefined) {
  if (!isFakeWorker(worker)) throw new Error(`--fake-worker ${worker}: not one of ${FAKE_WORKERS.join(', ')}`);
  coreOptions.workerEntry = fakeWorker(worker);
}
const cifarUrl = values['cifar-url'];
const cifarMd5 = values['cifar-md5'];
if ((cifarUrl === undefined) !== (cifarMd5 === undefined)) throw new Error('--cifar-url and --cifar-md5 go together');
if (cifarUrl !== undefined && cifarMd5 !== undefined) coreOptions.cifarSource = () => ({ url: cifarUrl, md5: cifarMd5 });

process.exitCode = await runCli(['serve', '--host', '127.0.0.1', '--port', values.port], { ...processContext(), coreOptions });
