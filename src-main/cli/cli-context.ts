/** What CLI commands need from the outside world, injectable so tests run them in-process. */
import type { CoreOptions } from '../core/core.ts';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stdout is a terminal (tables and progress may then be formatted for humans). */
  isTTY: boolean;
}

export interface CliContext {
  io: CliIo;
  /** Merged into every createCore call (tests pass home and a fake worker). */
  coreOptions: CoreOptions;
  /** Subscribes to Ctrl-C / SIGTERM; returns the unsubscribe function. */
  onInterrupt(handler: () => void): () => void;
}

export function processContext(): CliContext {
  return {
    io: {
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
      isTTY: process.stdout.isTTY === true,
    },
    coreOptions: {},
    onInterrupt(handler) {
      process.on('SIGINT', handler);
      process.on('SIGTERM', handler);
      return () => {
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
      };
    },
  };
}
