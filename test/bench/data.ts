/**
 * Data-loader benchmark (printed, not a timed test): images/s for JPEG decode +
 * RandomResizedCrop(224) + flip + normalise from a folder of 500×375 JPEGs (ImageNet's
 * typical size), with 1, 2 and 4 loader workers (and 0 = on the calling thread).
 * The JPEG folder is generated in a temp dir and removed afterwards.
 *
 *   node --import tsx test/bench/data.ts
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { openDataset } from '../../src-main/engine/data/open-dataset.ts';
import { imagenetTrainTransforms, imagenetValTransforms } from '../../src-main/engine/data/recipes.ts';

const WIDTH = 500;
const HEIGHT = 375;

/** Smooth colour fields plus noise, so JPEGs have realistic size (~60–100 kB) and decode cost. */
async function writeJpegs(dir: string, count: number, classes: number): Promise<number> {
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const raw = Buffer.alloc(WIDTH * HEIGHT * 3);
    let seed = i * 2654435761;
    for (let y = 0; y < HEIGHT; y++) {
      for (let x = 0; x < WIDTH; x++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        const noise = (seed >>> 24) % 40;
        const o = (y * WIDTH + x) * 3;
        raw[o] = (x * 255) / WIDTH * 0.7 + noise;
        raw[o + 1] = (y * 255) / HEIGHT * 0.7 + noise;
        raw[o + 2] = (((x + y + i * 13) % 256) * 0.6 + noise) & 0xff;
      }
    }
    const jpeg = await sharp(raw, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
    bytes += jpeg.length;
    for (const split of ['train', 'val']) {
      if (split === 'val' && Math.floor(i / classes) % 4 !== 0) continue;
      const d = join(dir, split, `class_${i % classes}`);
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, `img_${i}.jpg`), jpeg);
    }
  }
  return bytes / count;
}

export async function benchData(): Promise<Record<string, unknown>> {
  const count = Number(process.env.SNCA_BENCH_IMAGES ?? 256);
  const batchSize = 32;
  const dir = mkdtempSync(join(tmpdir(), 'snca-bench-data-'));
  try {
    const avgBytes = await writeJpegs(dir, count, 8);
    const results: Record<string, unknown> = {
      images: count,
      imageSize: `${WIDTH}x${HEIGHT} JPEG q90, mean ${(avgBytes / 1024).toFixed(0)} kB`,
      pipeline: 'decode (sharp) + RandomResizedCrop(224) + flip + normalise, batch 32',
      cpus: cpus().length,
    };
    for (const workers of [0, 1, 2, 4]) {
      const ds = await openDataset(
        { kind: 'imagefolder', root: dir },
        { workers, log: () => undefined, cacheDir: null, transforms: { train: imagenetTrainTransforms(), val: imagenetValTransforms() } },
      );
      try {
        // Warm-up epoch: worker start-up (tsx compile when run from source) is not measured.
        for await (const _ of ds.train.epoch({ epoch: 0, batchSize, shuffle: true, dropLast: true, seed: 0 })) void _;
        const t0 = performance.now();
        let n = 0;
        let waits = 0;
        let last = performance.now();
        for await (const b of ds.train.epoch({ epoch: 1, batchSize, shuffle: true, dropLast: true, seed: 0 })) {
          waits += performance.now() - last;
          n += b.shape[0];
          last = performance.now();
        }
        const secs = (performance.now() - t0) / 1000;
        results[`workers_${workers}_images_per_s`] = Number((n / secs).toFixed(1));
        results[`workers_${workers}_ms_per_batch`] = Number(((waits / (n / batchSize)) || 0).toFixed(1));
      } finally {
        await ds.close();
      }
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchData().then((r) => console.log(JSON.stringify(r, null, 2)), (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
