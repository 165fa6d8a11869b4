/**
 * How the app reaches a cluster: on the login node itself (`local`), or through the user's
 * own ssh (its config, keys and agent) to a login node. Both run Slurm's commands and read
 * files on the shared filesystem; ssh runs them in one non-interactive session each.
 */
import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import type { ClusterRoute } from '../../shared/cluster.ts';
import { shellJoin, shellQuote } from './shell-quote.ts';

export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number;
}

export class ClusterCommandError extends Error {
  constructor(
    readonly command: string,
    readonly result: CommandResult | null,
    reason: string,
  ) {
    super(`${command}: ${reason}`);
    this.name = 'ClusterCommandError';
  }
}

/** What the cluster code needs from a route; tests can substitute their own. */
export interface ClusterShell {
  readonly description: string;
  /** Runs a command; resolves with its result whatever the exit code (rejects when it cannot start). */
  run(command: string, args: readonly string[], options?: { input?: string; timeoutMs?: number }): Promise<CommandResult>;
  /** Up to `maxBytes` of a file from `offset` (empty at or past its end); null when it does not exist. */
  readFrom(path: string, offset: number, maxBytes: number): Promise<Uint8Array | null>;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_OUTPUT = 16 * 1024 * 1024;

function execute(file: string, args: readonly string[], input: string | undefined, timeoutMs: number): Promise<CommandResult & { raw: Buffer }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      [...args],
      { timeout: timeoutMs, maxBuffer: MAX_OUTPUT, encoding: 'buffer', windowsHide: true },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: string | number; killed?: boolean }) | null;
        if (e && typeof e.code === 'string') return reject(new ClusterCommandError(file, null, e.code === 'ENOENT' ? 'not found on this machine' : e.message));
        if (e?.killed) return reject(new ClusterCommandError(`${file} ${args.join(' ')}`.slice(0, 200), null, `no answer within ${timeoutMs / 1000} s`));
        resolve({ stdout: stdout.toString('utf8'), stderr: stderr.toString('utf8'), code: typeof e?.code === 'number' ? e.code : 0, raw: stdout });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

export class LocalShell implements ClusterShell {
  readonly description = 'this machine';

  async run(command: string, args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
    const { raw: _raw, ...result } = await execute(command, args, options.input, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    return result;
  }

  async readFrom(path: string, offset: number, maxBytes: number): Promise<Uint8Array | null> {
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      const size = (await handle.stat()).size;
      const length = Math.max(0, Math.min(maxBytes, size - offset));
      const buf = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(buf, done, length - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return buf.subarray(0, done);
    } finally {
      await handle.close();
    }
  }
}

export class SshShell implements ClusterShell {
  readonly description: string;

  constructor(private readonly route: Extract<ClusterRoute, { kind: 'ssh' }>) {
    this.description = `ssh ${route.target}`;
  }

  private sshArgs(remote: string): string[] {
    return [
      '-o', 'BatchMode=yes',
      '-o', 'ConnectTimeout=10',
      ...(this.route.port ? ['-p', String(this.route.port)] : []),
      ...this.route.options,
      this.route.target,
      '--',
      remote,
    ];
  }

  async run(command: string, args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
    const { raw: _raw, ...result } = await execute('ssh', this.sshArgs(shellJoin([command, ...args])), options.input, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    if (result.code === 255) throw new ClusterCommandError(`ssh ${this.route.target}`, result, `cannot connect: ${result.stderr.trim() || 'no reason given'}`);
    return result;
  }

  async readFrom(path: string, offset: number, maxBytes: number): Promise<Uint8Array | null> {
    // `tail -c +N` starts at byte N (1-based); head bounds what comes back.
    const script = `if [ -e ${shellQuote(path)} ]; then tail -c +${offset + 1} ${shellQuote(path)} | head -c ${maxBytes}; else exit 3; fi`;
    const res = await execute('ssh', this.sshArgs(script), undefined, DEFAULT_TIMEOUT_MS);
    if (res.code === 3) return null;
    if (res.code === 255) throw new ClusterCommandError(`ssh ${this.route.target}`, res, `cannot connect: ${res.stderr.trim() || 'no reason given'}`);
    if (res.code !== 0) throw new ClusterCommandError(`ssh ${this.route.target} (read ${path})`, res, res.stderr.trim() || `exit code ${res.code}`);
    return new Uint8Array(res.raw);
  }
}

/** A whole file of the cluster, read in chunks; null when it does not exist. Refuses one larger than `maxBytes`. */
export async function readWhole(shell: ClusterShell, path: string, maxBytes: number): Promise<Uint8Array | null> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const bytes = await shell.readFrom(path, total, READ_CHUNK_BYTES);
    if (bytes === null) return total === 0 ? null : Buffer.concat(chunks);
    if (bytes.length === 0) return Buffer.concat(chunks);
    total += bytes.length;
    if (total > maxBytes) throw new ClusterCommandError(`read ${path}`, null, `larger than ${maxBytes} bytes`);
    chunks.push(bytes);
  }
}

const READ_CHUNK_BYTES = 8 << 20;

export function shellFor(route: ClusterRoute): ClusterShell {
  return route.kind === 'local' ? new LocalShell() : new SshShell(route);
}
