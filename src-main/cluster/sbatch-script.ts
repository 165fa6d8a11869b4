/**
 * Renders the sbatch script of a cluster submission: one run, or a sweep as one job array
 * whose task i runs the i-th run folder. The script runs a command of the app installed in the
 * cluster's work folder: by default the headless job entry (`snca cluster-job RUN_DIR`), which
 * trains with the run's stored config and writes the event log and checkpoints into RUN_DIR;
 * an evaluation job runs `snca cluster-eval DIR`, the compute-node check `snca doctor`.
 * Every value that reaches the script is validated here and shell-quoted.
 */
import { SlurmResourcesSchema, type SlurmResourcesInput } from '../../shared/cluster.ts';
import { shellQuote } from './shell-quote.ts';

export interface SbatchRequest {
  /** Job name shown by squeue. */
  jobName: string;
  /** The app installed on the cluster: its folder holds bin/snca.js and node_modules. */
  appDir: string;
  /** The node binary on the compute nodes (default `node` from PATH). */
  nodeBinary?: string;
  /** Run folders on the shared filesystem, in array-task order (one for a single run). */
  runDirs: readonly string[];
  /** Where Slurm writes the job's stdout and stderr (`%a` is the array task). */
  outputPattern: string;
  errorPattern: string;
  resources: SlurmResourcesInput;
  /** Extra environment for the job, e.g. SNCA_BACKEND. */
  env?: Readonly<Record<string, string>>;
  /** The app command the job runs (default `cluster-job RUN_DIR`); RUN_DIR_ARG stands for the task's folder. */
  command?: readonly CommandPart[];
}

/** In `SbatchRequest.command`: the run folder of this (array) task. */
export const RUN_DIR_ARG = Symbol('RUN_DIR');
type CommandPart = string | typeof RUN_DIR_ARG;

const ENV_NAME = /^[A-Z_][A-Z0-9_]{0,63}$/;

export function renderSbatchScript(req: SbatchRequest): string {
  if (req.runDirs.length === 0) throw new Error('a submission needs at least one run folder');
  const r = SlurmResourcesSchema.parse(req.resources);
  const name = req.jobName.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64) || 'snca';
  const lines = ['#!/bin/bash', `#SBATCH --job-name=${name}`];
  lines.push(`#SBATCH --output=${directiveValue(req.outputPattern)}`, `#SBATCH --error=${directiveValue(req.errorPattern)}`);
  if (r.partition) lines.push(`#SBATCH --partition=${r.partition}`);
  if (r.account) lines.push(`#SBATCH --account=${r.account}`);
  if (r.gpus > 0) lines.push(`#SBATCH --gres=gpu:${r.gpus}`);
  lines.push(`#SBATCH --cpus-per-task=${r.cpus}`, '#SBATCH --ntasks=1');
  if (r.memory) lines.push(`#SBATCH --mem=${r.memory}`);
  if (r.time) lines.push(`#SBATCH --time=${r.time}`);
  if (req.runDirs.length > 1) lines.push(`#SBATCH --array=0-${req.runDirs.length - 1}`);
  // At its time limit Slurm sends SIGTERM, then SIGKILL after the cluster's KillWait: the entry
  // keeps the last epoch checkpoint, and the run ends interrupted (TIMEOUT), ready to resume.
  lines.push('');
  lines.push('# Rendered by SNCA Studio. Runs one training run of the app on this node.', 'set -euo pipefail');
  for (const [k, v] of Object.entries(req.env ?? {})) {
    if (!ENV_NAME.test(k)) throw new Error(`environment variable name "${k}" is not valid`);
    lines.push(`export ${k}=${shellQuote(v)}`);
  }
  lines.push(`RUN_DIRS=(${req.runDirs.map(shellQuote).join(' ')})`);
  lines.push('RUN_DIR="${RUN_DIRS[${SLURM_ARRAY_TASK_ID:-0}]}"');
  const command = (req.command ?? ['cluster-job', RUN_DIR_ARG]).map((part) => (part === RUN_DIR_ARG ? '"$RUN_DIR"' : shellQuote(part)));
  lines.push(`exec ${shellQuote(req.nodeBinary ?? 'node')} ${shellQuote(`${req.appDir}/bin/snca.js`)} ${command.join(' ')}`, '');
  return lines.join('\n');
}

/** #SBATCH lines are not shell: a path with spaces or quotes cannot be written safely there. */
function directiveValue(path: string): string {
  if (!/^[A-Za-z0-9_%./@+=:,-]+$/.test(path)) {
    throw new Error(`the path "${path}" cannot be used in an #SBATCH line (use letters, digits and _ % . / @ + = : , -)`);
  }
  return path;
}
