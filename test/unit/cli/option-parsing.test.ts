/** Bad arguments are refused before anything runs, with the flag named. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../../../src-main/cli/program.ts';
import { recordingContext } from '../../fixtures/cli-context.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';

const cases: [string[], RegExp][] = [
  [['train', '--epochs', 'abc'], /option '--epochs <n>' argument 'abc' is invalid\. Expected a whole number between 1 and 10000/],
  [['train', '--epochs', '0'], /'--epochs <n>'/],
  [['train', '--epochs', '2.5'], /'--epochs <n>'/],
  [['train', '--batch-size', '-3'], /--batch-size <n>' argument '-3' is invalid/],
  [['train', '--lr', 'fast'], /'--lr <x>' argument 'fast' is invalid\. Expected a number greater than 0/],
  [['train', '--lr', '0'], /'--lr <x>'/],
  [['train', '--seed', '-1'], /'--seed <n>'/],
  [['train', '--backend', 'gpu'], /'--backend <name>' argument 'gpu' is invalid\. Expected one of: tensorflow-gpu, webgpu, tensorflow, wasm, cpu/],
  [['train', '--name', '   '], /'--name <text>'/],
  [['train', '--preset', 'imagenet-full'], /--preset: unknown preset "imagenet-full"; available: mnist-demo/],
  [['train', '--epochs'], /option '--epochs <n>' argument missing/],
  [['train', '--epocs', '3'], /unknown option '--epocs'/],
  [['serve', '--port', '70000'], /'--port <n>' argument '70000' is invalid/],
  [['runs', '--jsn'], /unknown option '--jsn'/],
  [['check-vectors'], /missing required argument 'file'/],
  [['fly'], /unknown command 'fly'/],
];

for (const [argv, expected] of cases) {
  test(`snca ${argv.join(' ')} → exit 1 naming the problem`, async () => {
    const tmp = makeTempDir();
    try {
      const ctx = recordingContext({ home: tmp.dir });
      const code = await runCli(argv, ctx);
      assert.equal(code, 1, ctx.err());
      assert.match(ctx.err(), expected);
      assert.equal(ctx.out(), '');
    } finally {
      tmp.cleanup();
    }
  });
}

test('--help and --version exit 0', async () => {
  const ctx = recordingContext();
  assert.equal(await runCli(['--help'], ctx), 0);
  assert.match(ctx.out(), /train[\s\S]*runs[\s\S]*serve[\s\S]*check-vectors/);
  assert.doesNotMatch(ctx.out(), /--reason/);
  const v = recordingContext();
  assert.equal(await runCli(['--version'], v), 0);
  assert.equal(v.out().trim(), '0.1.0');
});
