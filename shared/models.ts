/**
 * Records of the models API: PyTorch checkpoints imported with their provenance and feature
 * bank, the import job's progress, and embeddings of images computed with a model.
 */
import { z } from 'zod';
import { ArchSchema } from './run-config.ts';

export const ModelIdSchema = z.string().regex(/^[a-z0-9]{1,32}$/, 'a model id is 1–32 lowercase letters or digits');
export const ModelNameSchema = z
  .string()
  .trim()
  .min(1, 'give the model a name')
  .max(120)
  .regex(/^[^/\\\u0000-\u001f]+$/, 'a model name may not contain slashes or control characters');

/** How the file was saved: the reference's ImageNet `.pth.tar` dict, its CIFAR script's pickled modules, or a bare state_dict. */
export const MODEL_LAYOUTS = ['imagenet', 'cifar', 'state-dict'] as const;
/** torch's serialisations: pre-1.6 pickle sequence with raw storages, or the zip archive. */
export const MODEL_FORMATS = ['legacy', 'zip'] as const;

/** What the network is, beyond its architecture name: enough to rebuild it. */
export const ModelConfigSchema = z.object({
  lowDim: z.int().min(1).max(65536),
  /** Channels of the stem and first stage; each later stage doubles them (64 for the released models). */
  width: z.int().min(1).max(4096),
});
export type ModelConfig = z.infer<typeof ModelConfigSchema>;

export const ModelSchema = z.object({
  id: ModelIdSchema,
  name: z.string(),
  /** The imported file's base name, size in bytes and sha256. */
  fileName: z.string(),
  fileBytes: z.int(),
  sha256: z.string(),
  arch: ArchSchema,
  config: ModelConfigSchema,
  layout: z.enum(MODEL_LAYOUTS),
  format: z.enum(MODEL_FORMATS),
  epoch: z.int().nullable(),
  /** NCA temperature T and memory momentum, from the bank module's `params`. */
  temperature: z.number().nullable(),
  momentum: z.number().nullable(),
  /** Accuracy as the file records it (`best_prec1` of the ImageNet layout, `acc` of the CIFAR one), unconverted. */
  accuracy: z.number().nullable(),
  /** The feature bank: one row per training image (ImageFolder order), `bankDim` floats each. */
  bankRows: z.int().nullable(),
  bankDim: z.int().nullable(),
  importedAt: z.string(),
  /** The train folder bank row i refers to (its i-th image in ImageFolder order), once the user sets it. */
  trainFolder: z.string().nullable(),
  /** Class names by label, when given (otherwise the train folder's subfolder names). */
  classNames: z.array(z.string()).nullable(),
  /** Bytes the model uses under SNCA_HOME/models/<id>/ (weights + bank). */
  storedBytes: z.int(),
});
export type Model = z.infer<typeof ModelSchema>;

const pathField = z.string().trim().min(1, 'a file path is required').max(4096);

export const ModelImportInputSchema = z
  .object({
    /** The PyTorch file to import, on the machine the core runs on. */
    path: pathField,
    /** Default: the file name without its extensions (made unique with a suffix). */
    name: ModelNameSchema.optional(),
  })
  .strict();

export const ModelImportJobSchema = z.object({ jobId: z.string(), name: z.string() });
export type ModelImportJob = z.infer<typeof ModelImportJobSchema>;

export const MODEL_IMPORT_PHASES = ['hash', 'read', 'copy', 'done', 'error', 'cancelled'] as const;
export type ModelImportPhase = (typeof MODEL_IMPORT_PHASES)[number];

export const ModelImportProgressSchema = z.object({
  jobId: z.string(),
  name: z.string(),
  fileName: z.string(),
  phase: z.enum(MODEL_IMPORT_PHASES),
  /** Bytes of the file hashed ('hash') or of the bank copied ('copy'), of totalBytes. */
  bytes: z.number(),
  totalBytes: z.number(),
  bytesPerSec: z.number(),
  /** The imported model's id on 'done'. */
  modelId: ModelIdSchema.optional(),
  /** What went wrong on 'error' (names the file and, for a bad file, the byte offset). */
  message: z.string().optional(),
});
export type ModelImportProgress = z.infer<typeof ModelImportProgressSchema>;

/** A model as the API names it: an imported model's name or id, a run id, or a checkpoint file of ours. */
export const ModelRefSchema = z.string().trim().min(1, 'name a model, a run id or a checkpoint file').max(4096);

export const ModelUpdateInputSchema = z
  .object({
    id: ModelIdSchema,
    name: ModelNameSchema.optional(),
    /** null clears it. */
    trainFolder: z.string().trim().min(1).max(4096).nullable().optional(),
    classNames: z.array(z.string().max(200)).max(100_000).nullable().optional(),
  })
  .strict();

export const EmbedInputSchema = z
  .object({
    model: ModelRefSchema,
    images: z.array(z.string().min(1).max(4096)).min(1).max(10_000),
  })
  .strict();

export const EmbeddingsSchema = z.object({
  /** What `model` resolved to. */
  source: z.object({ kind: z.enum(['model', 'checkpoint']), label: z.string(), arch: ArchSchema }),
  /** The preprocessing applied, e.g. "resize 256, center crop 224, normalize (ImageNet)". */
  transform: z.string(),
  dim: z.int(),
  /** One L2-normalised embedding per image, in the order given. */
  embeddings: z.array(z.array(z.number())),
  backend: z.string(),
});
export type Embeddings = z.infer<typeof EmbeddingsSchema>;
