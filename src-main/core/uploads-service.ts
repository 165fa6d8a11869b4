/**
 * Files the page sends to this machine (serve mode, where a browser cannot name a path here):
 * gallery query images and PyTorch checkpoints to import. Each is streamed, never buffered
 * whole, into SNCA_HOME/cache/uploads/<id>/<name> (its name kept, so an import's default
 * name is the file's), through a `.part` file renamed only once complete and checked:
 * - a size limit per kind, checked against the declared length before reading anything and
 *   against the bytes as they arrive;
 * - a checkpoint must start like one of torch's serialisations (a zip archive or a pickle),
 *   seen in its first bytes, so a wrong file is refused before it is all sent; its content is
 *   read later, by the import's safe torch readers;
 * - an image must be decodable by sharp (bounded pixels; nothing runs).
 * A refused, aborted or short upload leaves nothing behind. Uploads older than `maxAgeMs`
 * are deleted at start and before each new one; an uploaded checkpoint is deleted as soon as
 * its import has ended (models/<id>/ holds what was converted from it).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import sharp from 'sharp';
import { ApiError } from '../../shared/api-error.ts';
import { formatBytes, UPLOAD_NAME_PATTERNS, uploadTooLarge, type UploadedFile, type UploadKind, type UploadLimits } from '../../shared/uploads.ts';
import { MAX_IMAGE_PIXELS } from '../engine/data/decoded-image.ts';

const MiB = 1024 * 1024;
export const DEFAULT_UPLOAD_LIMITS: UploadLimits = { image: 16 * MiB, model: 8 * 1024 * MiB };
/** How long an upload is kept (a gallery's query history and export read its images). */
export const DEFAULT_UPLOAD_MAX_AGE_MS = 6 * 60 * 60 * 1000;

/** An upload refused, with the HTTP status serve mode answers it with (413 too large, 415 wrong type, 400 otherwise). */
export class UploadRefusal extends ApiError {
  constructor(
    readonly status: 400 | 411 | 413 | 415,
    message: string,
  ) {
    super('invalid_input', message);
  }
}

export interface UploadsDeps {
  home: string;
  limits?: Partial<UploadLimits>;
  maxAgeMs?: number;
  now(): number;
  diagnostics(line: string): void;
}

export interface UploadRequest {
  kind: UploadKind;
  /** The file's name, already checked (shared/uploads.ts parseUploadName). */
  name: string;
  /** Content-Length: the bytes the body must hold. */
  declaredBytes: number;
  body: Readable;
}

/** The first bytes of torch.save files: a zip archive (torch ≥ 1.6) or a pickle (protocol 2+, the legacy format). */
function looksLikeTorchFile(head: Uint8Array): boolean {
  const zip = head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
  const pickle = head[0] === 0x80 && head[1]! >= 2 && head[1]! <= 5;
  return zip || pickle;
}

export class UploadsService {
  readonly dir: string;
  private readonly limitsOf: UploadLimits;

  constructor(private readonly deps: UploadsDeps) {
    this.dir = join(deps.home, 'cache', 'uploads');
    this.limitsOf = { ...DEFAULT_UPLOAD_LIMITS, ...deps.limits };
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.sweep();
  }

  limits(): UploadLimits {
    return { ...this.limitsOf };
  }

  async receive(req: UploadRequest): Promise<UploadedFile> {
    const limit = this.limitsOf[req.kind];
    const tooLarge = uploadTooLarge(req.name, req.declaredBytes, req.kind, this.limitsOf);
    if (tooLarge) throw new UploadRefusal(413, tooLarge);
    if (req.declaredBytes === 0) throw new UploadRefusal(400, `${req.name} is empty.`);
    if (!UPLOAD_NAME_PATTERNS[req.kind].test(req.name)) throw new UploadRefusal(415, `${req.name} does not have the name of ${req.kind === 'image' ? 'an image' : 'a PyTorch checkpoint'}.`);
    this.sweep();
    const folder = join(this.dir, `${this.deps.now()}-${randomBytes(6).toString('hex')}`);
    mkdirSync(folder, { mode: 0o700 });
    const file = join(folder, req.name);
    const part = `${file}.part`;
    try {
      const received = await this.stream(req, part, limit);
      if (received !== req.declaredBytes) throw new UploadRefusal(400, `the upload of ${req.name} ended after ${received} of ${req.declaredBytes} bytes; nothing was kept.`);
      if (req.kind === 'image') await checkImage(part, req.name);
      renameSync(part, file);
      return { kind: req.kind, name: req.name, bytes: received, path: file };
    } catch (err) {
      rmSync(folder, { recursive: true, force: true });
      throw err;
    }
  }

  /** Deletes `path` when it is an upload (an import of it has ended); anything else is left alone. */
  release(path: string): void {
    const folder = dirname(resolve(path));
    if (dirname(folder) !== resolve(this.dir)) return;
    rmSync(folder, { recursive: true, force: true });
  }

  /** Deletes uploads older than the maximum age (their folders are named by their start time). */
  sweep(): void {
    const oldest = this.deps.now() - (this.deps.maxAgeMs ?? DEFAULT_UPLOAD_MAX_AGE_MS);
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(this.dir, name);
      const stamp = /^(\d+)-/.exec(name);
      let started: number;
      try {
        started = stamp ? Number(stamp[1]) : statSync(path).mtimeMs;
      } catch {
        continue;
      }
      const stale = started < oldest;
      if (!stale) continue;
      try {
        rmSync(path, { recursive: true, force: true });
      } catch (err) {
        this.deps.diagnostics(`could not delete the old upload ${path}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  /** Writes the body to `part`, refusing more than `limit` (or than declared) bytes and a checkpoint that does not start like one. */
  private async stream(req: UploadRequest, part: string, limit: number): Promise<number> {
    let received = 0;
    let head = new Uint8Array(0);
    const bound = Math.min(limit, req.declaredBytes);
    const check = new Transform({
      transform(chunk: Buffer, _enc, done) {
        received += chunk.length;
        if (received > bound) {
          done(received > limit ? new UploadRefusal(413, `${req.name} is larger than the ${formatBytes(limit)} this server accepts.`) : new UploadRefusal(400, `${req.name} sent more bytes than its Content-Length (${req.declaredBytes}).`));
          return;
        }
        if (req.kind === 'model' && head.length < 4) {
          head = Buffer.concat([head, chunk.subarray(0, 4 - head.length)]);
          if ((head.length >= 4 || received === req.declaredBytes) && !looksLikeTorchFile(head)) {
            done(new UploadRefusal(415, `${req.name} is not a PyTorch checkpoint: it is neither a zip archive nor a pickle (first bytes ${Buffer.from(head).toString('hex')}).`));
            return;
          }
        }
        done(null, chunk);
      },
    });
    // The body is piped, not pipelined: a refusal stops writing but leaves the request open,
    // so serve mode can still answer it; a body that ends early fails the write.
    const body = req.body;
    const aborted = () => {
      if (!body.readableEnded) check.destroy(Object.assign(new Error('aborted'), { code: 'ECONNABORTED' }));
    };
    body.once('close', aborted);
    body.once('error', aborted);
    body.pipe(check);
    try {
      await pipeline(check, createWriteStream(part, { mode: 0o600 }));
    } catch (err) {
      body.unpipe(check);
      if (err instanceof UploadRefusal) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'ECONNABORTED') {
        throw new UploadRefusal(400, `the upload of ${req.name} was aborted after ${received} of ${req.declaredBytes} bytes; nothing was kept.`);
      }
      throw err;
    } finally {
      body.off('close', aborted);
      body.off('error', aborted);
    }
    return received;
  }
}

async function checkImage(path: string, name: string): Promise<void> {
  try {
    const meta = await sharp(path, { failOn: 'error', limitInputPixels: MAX_IMAGE_PIXELS }).metadata();
    if (!meta.width || !meta.height) throw new Error('no image size');
  } catch (err) {
    throw new UploadRefusal(415, `${name} is not an image this app can read (${err instanceof Error ? err.message : String(err)}).`);
  }
}
