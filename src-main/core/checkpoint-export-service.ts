/**
 * Exports a checkpoint of ours for PyTorch users, in the reference's layout
 * (engine/checkpoint/reference-export.ts): a run's best (else latest) checkpoint, or a
 * checkpoint file given by path, written as torch's zip `.pth` or as `.safetensors`.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ApiError } from '../../shared/api-error.ts';
import type { MethodOutput, MethodParsedInput } from '../../shared/api.ts';
import { CheckpointError, readCheckpoint } from '../engine/checkpoint/checkpoint-reader.ts';
import { ReferenceExportError, referenceExportOf, writeReferenceExport } from '../engine/checkpoint/reference-export.ts';
import { TorchZipWriteError } from '../engine/checkpoint/torch-zip-writer.ts';
import type { Store } from '../store/store.ts';
import { preferredCheckpoint } from './evaluations-service.ts';

export interface CheckpointExportDeps {
  store: Store;
}

type ExportInput = MethodParsedInput<'checkpoints.export'>;
type ExportOutput = MethodOutput<'checkpoints.export'>;

export class CheckpointExportService {
  constructor(private readonly deps: CheckpointExportDeps) {}

  export(input: ExportInput): ExportOutput {
    const source = this.resolveSource(input.ref);
    let loaded;
    try {
      loaded = readCheckpoint(source.path, source.sha256 ? { expectedSha256: source.sha256 } : {});
    } catch (err) {
      if (err instanceof CheckpointError) throw new ApiError('invalid_input', err.message);
      throw err;
    }
    const ext = input.format === 'pth' ? 'pth' : 'safetensors';
    const out = resolve(input.out ?? join(dirname(source.path), `${basename(source.path).replace(/\.safetensors$/, '')}.reference.${ext}`));
    if (out === resolve(source.path)) throw new ApiError('invalid_input', `The export would overwrite its own source ${out}; choose another --out`);
    try {
      const ex = referenceExportOf(loaded);
      const written = writeReferenceExport(out, ex, input.format);
      return {
        path: written.path,
        format: input.format,
        bytes: written.bytes,
        sha256: written.sha256,
        source: source.path,
        runId: source.runId,
        arch: ex.arch,
        epoch: ex.epoch,
        bestPrec1: ex.bestPrec1,
        bankRows: ex.memory ? ex.memory.shape[0] ?? 0 : 0,
      };
    } catch (err) {
      if (err instanceof ReferenceExportError || err instanceof TorchZipWriteError) throw new ApiError('invalid_input', err.message);
      const code = (err as NodeJS.ErrnoException).code;
      if (code) throw new ApiError('invalid_input', `Could not write ${out}: ${code === 'ENOSPC' ? 'the disk is full' : code}`);
      throw err;
    }
  }

  /** A run id (its best, else latest checkpoint) or a checkpoint file (recorded by a run or not). */
  private resolveSource(ref: string): { path: string; sha256: string | null; runId: string | null } {
    const { store } = this.deps;
    if (store.runs.get(ref)) {
      const row = preferredCheckpoint(store.checkpoints.list(ref));
      if (!row) throw new ApiError('conflict', `Run ${ref} has no checkpoint yet; export it after its first epoch.`);
      if (!existsSync(row.path)) throw ApiError.notFound(`The checkpoint file ${row.path}`);
      return { path: row.path, sha256: row.sha256, runId: ref };
    }
    const path = resolve(ref);
    const row = store.checkpoints.findByPath(path);
    if (!existsSync(path)) throw ApiError.notFound(`Run or checkpoint file ${ref}`);
    return { path, sha256: row?.sha256 ?? null, runId: row?.runId ?? null };
  }
}
