/** Imported models: their provenance, bank shape and what the user told about them. */
import { z } from 'zod';
import { ArchSchema } from '../../shared/run-config.ts';
import { MODEL_FORMATS, MODEL_LAYOUTS, ModelConfigSchema, type Model } from '../../shared/models.ts';
import type { Db } from './migrator.ts';

interface ModelRow {
  id: string;
  name: string;
  file_name: string;
  file_bytes: number;
  sha256: string;
  arch: string;
  config: string;
  layout: string;
  format: string;
  epoch: number | null;
  temperature: number | null;
  momentum: number | null;
  accuracy: number | null;
  bank_rows: number | null;
  bank_dim: number | null;
  stored_bytes: number;
  imported_at: string;
  train_folder: string | null;
  class_names: string | null;
}

/** A model to record; `trainFolder` and `classNames` are set later (models.update). */
export type NewModel = Omit<Model, 'trainFolder' | 'classNames'>;

const StoredRowSchema = z.object({
  arch: ArchSchema,
  config: ModelConfigSchema,
  layout: z.enum(MODEL_LAYOUTS),
  format: z.enum(MODEL_FORMATS),
  classNames: z.array(z.string()).nullable(),
});

function toModel(row: ModelRow): Model {
  // Columns are written by this module only; a row that no longer parses is reported with its id.
  const parsed = StoredRowSchema.safeParse({
    arch: row.arch,
    config: JSON.parse(row.config),
    layout: row.layout,
    format: row.format,
    classNames: row.class_names === null ? null : JSON.parse(row.class_names),
  });
  if (!parsed.success) throw new Error(`models.${row.id}: stored values do not match their schema: ${parsed.error.message}`);
  return {
    id: row.id,
    name: row.name,
    fileName: row.file_name,
    fileBytes: row.file_bytes,
    sha256: row.sha256,
    ...parsed.data,
    epoch: row.epoch,
    temperature: row.temperature,
    momentum: row.momentum,
    accuracy: row.accuracy,
    bankRows: row.bank_rows,
    bankDim: row.bank_dim,
    importedAt: row.imported_at,
    trainFolder: row.train_folder,
    storedBytes: row.stored_bytes,
  };
}

export class ModelsRepository {
  constructor(private readonly db: Db) {}

  insert(m: NewModel): Model {
    this.db
      .prepare(
        `INSERT INTO models (id, name, file_name, file_bytes, sha256, arch, config, layout, format, epoch, temperature, momentum,
          accuracy, bank_rows, bank_dim, stored_bytes, imported_at)
         VALUES (@id, @name, @fileName, @fileBytes, @sha256, @arch, @config, @layout, @format, @epoch, @temperature, @momentum,
          @accuracy, @bankRows, @bankDim, @storedBytes, @importedAt)`,
      )
      .run({ ...m, config: JSON.stringify(m.config) });
    return this.get(m.id)!;
  }

  get(id: string): Model | undefined {
    const row = this.db.prepare(`SELECT * FROM models WHERE id = ?`).get(id) as ModelRow | undefined;
    return row ? toModel(row) : undefined;
  }

  byName(name: string): Model | undefined {
    const row = this.db.prepare(`SELECT * FROM models WHERE name = ?`).get(name) as ModelRow | undefined;
    return row ? toModel(row) : undefined;
  }

  bySha256(sha256: string): Model | undefined {
    const row = this.db.prepare(`SELECT * FROM models WHERE sha256 = ?`).get(sha256) as ModelRow | undefined;
    return row ? toModel(row) : undefined;
  }

  /** Newest first. */
  list(): Model[] {
    return (this.db.prepare(`SELECT * FROM models ORDER BY imported_at DESC, id DESC`).all() as ModelRow[]).map(toModel);
  }

  names(): Set<string> {
    return new Set(this.db.prepare(`SELECT name FROM models`).pluck().all() as string[]);
  }

  update(id: string, change: { name?: string; trainFolder?: string | null; classNames?: string[] | null }): void {
    const sets: string[] = [];
    const values: Record<string, unknown> = { id };
    if (change.name !== undefined) {
      sets.push('name = @name');
      values.name = change.name;
    }
    if (change.trainFolder !== undefined) {
      sets.push('train_folder = @trainFolder');
      values.trainFolder = change.trainFolder;
    }
    if (change.classNames !== undefined) {
      sets.push('class_names = @classNames');
      values.classNames = change.classNames === null ? null : JSON.stringify(change.classNames);
    }
    if (sets.length === 0) return;
    this.db.prepare(`UPDATE models SET ${sets.join(', ')} WHERE id = @id`).run(values);
  }

  delete(id: string): boolean {
    return this.db.prepare(`DELETE FROM models WHERE id = ?`).run(id).changes > 0;
  }
}
