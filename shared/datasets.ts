/** Records of the datasets API: layout checks, CIFAR download/import jobs and their progress. */
import { z } from 'zod';
import { CIFAR_KINDS } from './run-config.ts';

const CifarKindSchema = z.enum(CIFAR_KINDS);
/** The two archives CIFAR is published as: pickled Python batches or raw binary records. */
export const CIFAR_FORMATS = ['python', 'binary'] as const;
export type CifarFormat = (typeof CIFAR_FORMATS)[number];
const CifarFormatSchema = z.enum(CIFAR_FORMATS);

const optionalPath = z.string().trim().min(1, 'a folder path is required').max(4096).optional();

/** What a quick look at a dataset found (counts only when they are cheap to know). */
export const DatasetSummarySchema = z.object({
  kind: z.string(),
  /** The folder the data was found in (for CIFAR, the extracted batches folder). */
  dir: z.string().nullable(),
  format: z.string().nullable(),
  classes: z.int().nullable(),
  trainCount: z.int().nullable(),
  valCount: z.int().nullable(),
});
export type DatasetSummary = z.infer<typeof DatasetSummarySchema>;

export const DatasetValidationSchema = z.object({
  ok: z.boolean(),
  /** The data library's message (names the path and what is wrong) when not ok. */
  message: z.string().nullable(),
  /** The file or folder the problem is about. */
  path: z.string().nullable(),
  summary: DatasetSummarySchema.nullable(),
});
export type DatasetValidation = z.infer<typeof DatasetValidationSchema>;

export const DatasetDownloadInputSchema = z
  .object({
    kind: CifarKindSchema,
    /** Folder to extract into; default `$SNCA_HOME/datasets/<kind>`. */
    root: optionalPath,
    format: CifarFormatSchema.default('python'),
  })
  .strict();

export const DatasetImportInputSchema = z
  .object({
    kind: CifarKindSchema,
    archivePath: z.string().trim().min(1, 'the path of the .tar.gz archive is required').max(4096),
    root: optionalPath,
  })
  .strict();

export const DatasetJobSchema = z.object({
  jobId: z.string(),
  /** The folder the data will be in: give it as the dataset root. */
  root: z.string(),
});
export type DatasetJob = z.infer<typeof DatasetJobSchema>;

export const DATASET_PHASES = ['download', 'verify', 'extract', 'done', 'error'] as const;

export const DatasetProgressSchema = z.object({
  jobId: z.string(),
  kind: CifarKindSchema,
  root: z.string(),
  bytes: z.number(),
  totalBytes: z.number().nullable(),
  bytesPerSec: z.number(),
  phase: z.enum(DATASET_PHASES),
  /** Set on 'error' (what went wrong, e.g. offline: import a local archive instead) and on 'done'. */
  message: z.string().optional(),
});
export type DatasetProgress = z.infer<typeof DatasetProgressSchema>;
