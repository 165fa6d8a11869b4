/**
 * Clusters the app submits runs to: how to reach the login node, the work folder on the
 * shared filesystem, and the Slurm defaults of a submission. Declared once for the contract,
 * the CLI, the settings form and the cluster code.
 */
import { z } from 'zod';

export const ClusterNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/, 'a cluster name is 1–40 letters, digits, _ . - (starting with a letter or digit)');

export const ClusterRouteSchema = z.discriminatedUnion('kind', [
  /** The app runs on the login node itself. */
  z.object({ kind: z.literal('local') }),
  /** Through the user's own ssh (its config, keys and agent). */
  z.object({
    kind: z.literal('ssh'),
    /** `user@host` or a Host alias of ~/.ssh/config. */
    target: z.string().regex(/^([A-Za-z0-9._-]+@)?[A-Za-z0-9._:-]+$/, 'an ssh target is user@host or a host alias'),
    port: z.int().min(1).max(65535).optional(),
    /** Extra ssh options, e.g. `-i KEYFILE` or `-o StrictHostKeyChecking=accept-new`. */
    options: z.array(z.string().max(500).regex(/^[^\n\r]*$/, 'one option per item, without newlines')).max(20).default([]),
  }),
]);
export type ClusterRoute = z.infer<typeof ClusterRouteSchema>;

const slurmResourceFields = {
  partition: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a partition name is letters, digits, _ . -'),
  account: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'an account name is letters, digits, _ . -'),
  gpus: z.int().min(0).max(64),
  cpus: z.int().min(1).max(1024),
  /** Slurm's --mem: a number with an optional K/M/G/T suffix. */
  memory: z.string().regex(/^\d{1,9}[KMGT]?$/, 'memory is a number with an optional K, M, G or T suffix'),
  /** Slurm's --time: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS. */
  time: z.string().regex(/^(\d{1,3}-)?\d{1,4}(:\d{2}){0,2}$/, 'a time limit is like 90, 02:00:00 or 2-00:00:00'),
};

/** What one run asks Slurm for; a cluster's defaults, completed by a submission's overrides. */
export const SlurmResourcesSchema = z.object({
  partition: slurmResourceFields.partition.optional(),
  account: slurmResourceFields.account.optional(),
  gpus: slurmResourceFields.gpus.default(1),
  cpus: slurmResourceFields.cpus.default(4),
  memory: slurmResourceFields.memory.optional(),
  time: slurmResourceFields.time.optional(),
});
/** A submission's overrides of its cluster's defaults: only what is given changes. */
export const SlurmResourceOverridesSchema = z.object(slurmResourceFields).partial();
export type SlurmResources = z.infer<typeof SlurmResourcesSchema>;
export type SlurmResourcesInput = z.input<typeof SlurmResourcesSchema>;

/** An absolute POSIX path on the cluster's shared filesystem, usable in #SBATCH lines. */
export const ClusterPathSchema = z
  .string()
  .regex(/^\/[A-Za-z0-9_%./@+=:,-]*$/, 'an absolute path of letters, digits and _ % . / @ + = : , - (no spaces: Slurm directives cannot quote them)')
  .max(1024);

export const ClusterSchema = z.object({
  name: ClusterNameSchema,
  route: ClusterRouteSchema,
  workDir: ClusterPathSchema,
  defaults: SlurmResourcesSchema,
  /** Resubmit a run interrupted by a time limit, preemption or node failure, at most this often. */
  autoResubmit: z.int().min(0).max(20).default(0),
  createdAt: z.string(),
});
export type Cluster = z.infer<typeof ClusterSchema>;
