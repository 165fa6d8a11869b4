/**
 * Decoding and augmentation of one batch: the work a loader worker thread does (and the
 * main thread, when the loader runs with 0 workers). Unreadable files are reported, not
 * thrown, so one bad JPEG costs one sample rather than the run.
 */
import { decodeImageFile, ImageDecodeError, type DecodedImage } from './image-decode.ts';
import type { BatchOutput, BatchTask, PipelineSpec, SampleFailure } from './loader-protocol.ts';
import type { RgbPixels } from './resample.ts';
import { sampleRng } from './rng.ts';
import { applyTransforms } from './transforms.ts';

/** Files decoded ahead within one batch, so libvips decodes while JS transforms. */
const DECODE_AHEAD = 3;

export async function processBatch(pipeline: PipelineSpec, task: BatchTask): Promise<BatchOutput> {
  const [oh, ow, oc] = pipeline.outShape;
  const sampleSize = oh * ow * oc;
  const n = task.indexes.length;
  const out = new Float32Array(n * sampleSize);
  const kept: number[] = [];
  const failures: SampleFailure[] = [];

  const place = (img: RgbPixels, i: number, path: string): void => {
    const index = task.indexes[i];
    const res = applyTransforms(img, pipeline.transforms, sampleRng(task.seed, task.epoch, index));
    if (res.width !== ow || res.height !== oh) {
      throw new Error(`${path}: transformed to ${res.width}x${res.height}, the split's loader yields ${ow}x${oh}; the transforms must end in a fixed size (a crop)`);
    }
    out.set(res.data, kept.length * sampleSize);
    kept.push(i);
  };

  const src = pipeline.source;
  if (src.kind === 'memory') {
    const bytes = src.width * src.height * 3;
    const count = src.pixels.length / bytes;
    for (let i = 0; i < n; i++) {
      const index = task.indexes[i];
      if (index < 0 || index >= count) throw new RangeError(`sample index ${index} outside 0..${count - 1}`);
      place({ width: src.width, height: src.height, data: src.pixels.subarray(index * bytes, (index + 1) * bytes) }, i, `sample ${index}`);
    }
  } else {
    const paths = task.paths;
    if (!paths || paths.length !== n) throw new Error(`task ${task.taskId}: file source needs one path per sample`);
    const decode = (i: number): Promise<DecodedImage | ImageDecodeError> =>
      decodeImageFile(paths[i]).catch((e: unknown) => (e instanceof ImageDecodeError ? e : new ImageDecodeError(paths[i], String(e))));
    const pending: Promise<DecodedImage | ImageDecodeError>[] = [];
    for (let i = 0; i < Math.min(DECODE_AHEAD, n); i++) pending.push(decode(i));
    for (let i = 0; i < n; i++) {
      const r = await pending[i];
      delete pending[i];
      if (i + DECODE_AHEAD < n) pending.push(decode(i + DECODE_AHEAD));
      if (r instanceof ImageDecodeError) failures.push({ index: task.indexes[i], path: r.path, reason: r.reason });
      else place(r, i, paths[i]);
    }
  }
  const images = kept.length === n ? out : out.slice(0, kept.length * sampleSize);
  return { taskId: task.taskId, images, kept: Int32Array.from(kept), failures };
}
