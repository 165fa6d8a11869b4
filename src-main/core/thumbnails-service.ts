/**
 * Thumbnails of dataset images as PNG, named by (dataset id, split, index, size), never by a
 * path. MNIST and CIFAR thumbnails are cut from the dataset arrays; ImageFolder images are
 * read with sharp and cached on disk under `SNCA_HOME/cache/thumbnails/`, keyed by the
 * file's real path, mtime and size and the thumbnail size.
 *
 * Only datasets the user chose are reachable: a dataset id is known when a service handed it
 * out (datasetIdOf) or when a run config or an evaluation of the database names the dataset.
 * A file is read only when its real path (symlinks resolved) lies inside that dataset's root
 * or the data folder, and only up to MAX_IMAGE_FILE_BYTES.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, realpath, rename, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import sharp from 'sharp';
import { DatasetSpecSchema, type DatasetSpec, type DatasetSpecInput } from '../../shared/run-config.ts';
import { ThumbnailError, type ThumbnailRef, type ThumbnailSource, type ThumbnailSplit } from '../../shared/thumbnails.ts';
import { cifarPythonReader } from '../acquire/cifar-python.ts';
import { readCifarBinary } from '../engine/data/cifar-binary.ts';
import { locateCifar, type CifarKind } from '../engine/data/cifar-layout.ts';
import { MAX_IMAGE_PIXELS } from '../engine/data/decoded-image.ts';
import { decodeImage } from '../engine/data/image-decode.ts';
import { indexImageFolder, samplePath, type ImageFolderIndex } from '../engine/data/image-folder.ts';
import { FolderFingerprints } from '../engine/data/image-folder-fingerprint.ts';
import { mnistSplitPixels, MNIST_SIDE } from '../engine/data/mnist.ts';

/** Largest image file read for a thumbnail. */
export const MAX_IMAGE_FILE_BYTES = 64 * 1024 * 1024;
/** Encoded thumbnails kept in memory (a disagreement grid and its neighbour panels). */
const MEMORY_CACHE_ENTRIES = 1024;
/** Decoded splits / folder indexes kept in memory (a CIFAR train split is 150 MB). */
const SPLIT_CACHE_ENTRIES = 2;

export interface ThumbnailsDeps {
  /** The data folder (SNCA_HOME). */
  home: string;
  /** JSON of the dataset specs the user chose (run configs, evaluations), read when an id is unknown. */
  knownDatasetJsons(): Iterable<string>;
}

interface PixelSplit {
  readonly count: number;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly pixels: Uint8Array;
}

type SplitSource = { kind: 'pixels'; split: PixelSplit } | { kind: 'files'; index: ImageFolderIndex; root: string };

/** What identifies a dataset's images: kind, resolved root, the MNIST split sizes. */
function identityOf(spec: DatasetSpec): Record<string, string | number> {
  switch (spec.kind) {
    case 'mnist':
      return { kind: 'mnist', trainSize: spec.trainSize, valSize: spec.valSize };
    case 'cifar10':
    case 'cifar100':
    case 'imagefolder':
      return { kind: spec.kind, root: resolve(spec.root) };
  }
}

function idOfSpec(spec: DatasetSpec): string {
  return createHash('sha256').update(JSON.stringify(identityOf(spec))).digest('hex').slice(0, 16);
}

function isInside(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);
}

class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly capacity: number) {}
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value!);
  }
  delete(key: string): void {
    this.map.delete(key);
  }
}

export class ThumbnailsService {
  /** The service as the transports take it. */
  readonly source: ThumbnailSource = (ref) => this.thumbnail(ref);

  private readonly datasets = new Map<string, DatasetSpec>();
  private readonly splits = new Lru<Promise<SplitSource>>(SPLIT_CACHE_ENTRIES);
  private readonly encoded = new Lru<Buffer>(MEMORY_CACHE_ENTRIES);
  private readonly fingerprints = new FolderFingerprints();
  readonly cacheDir: string;

  constructor(private readonly deps: ThumbnailsDeps) {
    this.cacheDir = join(deps.home, 'cache', 'thumbnails');
  }

  /**
   * The id thumbnails of this dataset are asked for by; the dataset becomes reachable. Only
   * for specs the main side holds (a run's config, an evaluation), never for one a client sent.
   */
  datasetIdOf(spec: DatasetSpecInput): string {
    const parsed = DatasetSpecSchema.parse(spec);
    const id = idOfSpec(parsed);
    this.datasets.set(id, parsed);
    return id;
  }

  /** The PNG of one image of a split, `ref.size` pixels square. */
  async thumbnail(ref: ThumbnailRef): Promise<Buffer> {
    const spec = this.datasetOf(ref.datasetId);
    // An image folder's index i is another image once files are added or removed.
    const state = spec.kind === 'imagefolder' ? this.fingerprints.of([join(spec.root, ref.split)]) : '';
    const memoKey = `${ref.datasetId}/${state}/${ref.split}/${ref.index}/${ref.size}`;
    const hit = this.encoded.get(memoKey);
    if (hit) return hit;
    const source = await this.splitOf(`${ref.datasetId}/${state}`, spec, ref.split);
    const count = source.kind === 'pixels' ? source.split.count : source.index.files.length;
    if (ref.index >= count) throw new ThumbnailError(404, `image ${ref.index} is outside the ${count} images of the ${ref.split} split`);
    const png = source.kind === 'pixels' ? await this.fromPixels(source.split, ref) : await this.fromFile(source, ref);
    this.encoded.set(memoKey, png);
    return png;
  }

  private datasetOf(id: string): DatasetSpec {
    const known = this.datasets.get(id);
    if (known) return known;
    for (const json of this.deps.knownDatasetJsons()) {
      let raw: unknown;
      try {
        raw = JSON.parse(json);
      } catch {
        continue;
      }
      const parsed = DatasetSpecSchema.safeParse(raw);
      if (parsed.success) this.datasets.set(idOfSpec(parsed.data), parsed.data);
    }
    const found = this.datasets.get(id);
    if (!found) throw new ThumbnailError(404, `No dataset with id ${id} is used by a run or an evaluation of this data folder`);
    return found;
  }

  private splitOf(id: string, spec: DatasetSpec, split: ThumbnailSplit): Promise<SplitSource> {
    const key = `${id}/${split}`;
    const cached = this.splits.get(key);
    if (cached) return cached;
    const loading = this.loadSplit(spec, split);
    this.splits.set(key, loading);
    // A failed load (a dataset moved away) is tried again next time.
    loading.catch(() => this.splits.delete(key));
    return loading;
  }

  private async loadSplit(spec: DatasetSpec, split: ThumbnailSplit): Promise<SplitSource> {
    switch (spec.kind) {
      case 'mnist': {
        const both = await mnistSplitPixels(spec);
        const s = both[split];
        return { kind: 'pixels', split: { count: s.count, width: MNIST_SIDE, height: MNIST_SIDE, channels: 1, pixels: s.pixels } };
      }
      case 'cifar10':
      case 'cifar100':
        return { kind: 'pixels', split: await this.loadCifar(spec.kind, spec.root, split) };
      case 'imagefolder': {
        const root = await this.realRoot(spec.root);
        const index = await indexImageFolder(join(root, split), { cacheDir: join(this.deps.home, 'cache', 'datasets'), sniff: false });
        return { kind: 'files', index, root };
      }
    }
  }

  private async realRoot(root: string): Promise<string> {
    try {
      return await realpath(resolve(root));
    } catch (err) {
      throw new ThumbnailError(404, `The dataset folder ${root} cannot be opened (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }

  private async loadCifar(kind: CifarKind, rootPath: string, split: ThumbnailSplit): Promise<PixelSplit> {
    const root = await this.realRoot(rootPath);
    const layout = await locateCifar(kind, root);
    const files = split === 'train' ? layout.trainFiles : layout.testFiles;
    for (const f of files) await this.checkInside(f, [root]);
    const data = layout.format === 'binary' ? await readCifarBinary(kind, files) : await cifarPythonReader.readSplit(kind, files);
    return { count: data.count, width: 32, height: 32, channels: 3, pixels: data.pixels };
  }

  /** The real path of `file`, refused unless it lies inside one of `roots` or the data folder. */
  private async checkInside(file: string, roots: readonly string[]): Promise<string> {
    let real: string;
    try {
      real = await realpath(file);
    } catch (err) {
      throw new ThumbnailError(404, `${file} cannot be opened (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    const home = await realpath(this.deps.home).catch(() => resolve(this.deps.home));
    if (![...roots, home].some((r) => isInside(real, r))) {
      throw new ThumbnailError(403, `${file} resolves to ${real}, outside the dataset folder and the data folder`);
    }
    return real;
  }

  private async fromPixels(split: PixelSplit, ref: ThumbnailRef): Promise<Buffer> {
    const bytes = split.width * split.height * split.channels;
    const raw = Buffer.from(split.pixels.buffer, split.pixels.byteOffset + ref.index * bytes, bytes);
    return this.encode(raw, split.width, split.height, split.channels, ref.size);
  }

  private async fromFile(source: Extract<SplitSource, { kind: 'files' }>, ref: ThumbnailRef): Promise<Buffer> {
    const file = samplePath(source.index, ref.index);
    const real = await this.checkInside(file, [source.root]);
    const handle = await open(real, 'r').catch((err: NodeJS.ErrnoException) => {
      throw new ThumbnailError(404, `${file} cannot be opened (${err.code ?? err.message})`);
    });
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw new ThumbnailError(404, `${file} is not a file`);
      if (st.size > MAX_IMAGE_FILE_BYTES) throw new ThumbnailError(400, `${file} is ${st.size} bytes, more than the ${MAX_IMAGE_FILE_BYTES} read for a thumbnail`);
      const key = createHash('sha256').update(`${real}\0${st.mtimeMs}\0${st.size}\0${ref.size}`).digest('hex');
      const cached = join(this.cacheDir, key.slice(0, 2), `${key}.png`);
      const hit = await readFile(cached).catch(() => null);
      if (hit) return hit;
      const buf = Buffer.alloc(st.size);
      const { bytesRead } = await handle.read(buf, 0, st.size, 0);
      let image;
      try {
        image = await decodeImage(buf.subarray(0, bytesRead), file);
      } catch (err) {
        throw new ThumbnailError(400, err instanceof Error ? err.message : String(err));
      }
      const png = await this.encode(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.length), image.width, image.height, 3, ref.size);
      await this.writeCache(cached, png);
      return png;
    } finally {
      await handle.close();
    }
  }

  /** Written to a temp file and renamed, so a reader never sees half a PNG. */
  private async writeCache(path: string, png: Buffer): Promise<void> {
    try {
      await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
      const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      await writeFile(tmp, png, { mode: 0o600 });
      await rename(tmp, path);
    } catch {
      // A cache that cannot be written (full disk, read-only folder) costs speed, not the thumbnail.
    }
  }

  /** Centre-cropped to a square; small images (digits) are enlarged without blurring. */
  private async encode(raw: Buffer, width: number, height: number, channels: 1 | 3, size: number): Promise<Buffer> {
    if (width * height > MAX_IMAGE_PIXELS) throw new ThumbnailError(400, `a ${width}×${height} image is larger than allowed`);
    const enlarge = width < size && height < size;
    return sharp(raw, { raw: { width, height, channels } })
      .resize(size, size, { fit: 'cover', kernel: enlarge ? 'nearest' : 'lanczos3' })
      .png({ compressionLevel: 6 })
      .toBuffer();
  }
}
