/**
 * The New-run form as data: which RunConfig fields it shows, how text inputs become a
 * config, and how schema issues (ours or the server's) become messages that name the field.
 * No DOM and no Vue here, so it is tested under Node.
 */
import type { z } from 'zod';
import { ARCHS, DATASET_KINDS, FOLDER_DATASET_KINDS, MONITOR_KEYS, RunConfigSchema, isPlaceholderRoot, type RunConfig, type RunConfigInput } from '../../shared/run-config.ts';
import { fieldPath, type FieldIssue } from '../../shared/validation.ts';

export type FieldKind = 'text' | 'int' | 'number' | 'select' | 'checkbox';
export type FieldGroup = 'basics' | 'data' | 'training' | 'advanced';

export interface FieldSpec {
  /** Dotted path inside RunConfig, as schema issues name it. */
  path: string;
  label: string;
  kind: FieldKind;
  group: FieldGroup;
  options?: readonly string[];
  hint?: string;
  /** Empty input means "leave unset" (optional fields). */
  optional?: boolean;
  /** Shown only for some dataset kinds. */
  datasetKinds?: readonly string[];
  /** `step` attribute of number inputs. */
  step?: string;
}

export const FIELD_GROUPS: { id: FieldGroup; title: string; collapsed?: boolean }[] = [
  { id: 'basics', title: 'Run' },
  { id: 'data', title: 'Data' },
  { id: 'training', title: 'Training' },
  { id: 'advanced', title: 'Advanced', collapsed: true },
];

export const RUN_FORM_FIELDS: readonly FieldSpec[] = [
  { path: 'name', label: 'Name', kind: 'text', group: 'basics' },
  { path: 'arch', label: 'Network', kind: 'select', group: 'basics', options: ARCHS },
  { path: 'epochs', label: 'Epochs', kind: 'int', group: 'basics' },
  { path: 'batchSize', label: 'Batch size', kind: 'int', group: 'basics' },
  { path: 'seed', label: 'Seed', kind: 'int', group: 'basics' },

  { path: 'dataset.kind', label: 'Dataset', kind: 'select', group: 'data', options: DATASET_KINDS },
  { path: 'dataset.trainSize', label: 'Train images', kind: 'int', group: 'data', datasetKinds: ['mnist'] },
  { path: 'dataset.valSize', label: 'Validation images', kind: 'int', group: 'data', datasetKinds: ['mnist'] },
  {
    path: 'dataset.root',
    label: 'Dataset folder',
    kind: 'text',
    group: 'data',
    datasetKinds: FOLDER_DATASET_KINDS,
  },
  {
    path: 'dataset.corruptThreshold',
    label: 'Tolerated unreadable files',
    kind: 'number',
    group: 'data',
    datasetKinds: ['imagefolder'],
    step: '0.001',
    hint: 'fraction, 0–1',
  },

  { path: 'lr', label: 'Learning rate', kind: 'number', group: 'training', step: 'any' },
  { path: 'weightDecay', label: 'Weight decay', kind: 'number', group: 'training', step: 'any' },
  { path: 'temperature', label: 'Temperature', kind: 'number', group: 'training', step: 'any', hint: 'of the NCA softmax' },
  { path: 'memoryMomentum', label: 'Memory momentum', kind: 'number', group: 'training', step: 'any', hint: 'memory bank update, 0–1' },
  { path: 'eval.k', label: 'K (kNN neighbours)', kind: 'int', group: 'training' },

  { path: 'lrSchedule.stepEpochs', label: 'LR step (epochs)', kind: 'int', group: 'advanced' },
  { path: 'lrSchedule.gamma', label: 'LR decay factor', kind: 'number', group: 'advanced', step: 'any' },
  { path: 'momentum', label: 'SGD momentum', kind: 'number', group: 'advanced', step: 'any' },
  { path: 'iterSize', label: 'Gradient accumulation', kind: 'int', group: 'advanced', hint: 'batches per optimizer step' },
  { path: 'lowDim', label: 'Embedding size', kind: 'int', group: 'advanced' },
  { path: 'margin', label: 'Margin', kind: 'number', group: 'advanced', step: 'any' },
  {
    path: 'eval.sigma',
    label: 'kNN temperature',
    kind: 'number',
    group: 'advanced',
    optional: true,
    step: 'any',
    hint: 'empty: the training temperature',
  },
  { path: 'eval.everyEpochs', label: 'Evaluate every (epochs)', kind: 'int', group: 'advanced' },
  { path: 'eval.monitor', label: 'Best checkpoint by', kind: 'select', group: 'advanced', options: MONITOR_KEYS },
  { path: 'checkpoint.keepEvery', label: 'Keep a checkpoint every (epochs)', kind: 'int', group: 'advanced', hint: '0: only latest and best' },
  { path: 'workers', label: 'Loader workers', kind: 'int', group: 'advanced', hint: '0: load on the training thread' },
  { path: 'nesterov', label: 'Nesterov momentum', kind: 'checkbox', group: 'advanced' },
  { path: 'eval.recomputeMemory', label: 'Recompute train features for kNN', kind: 'checkbox', group: 'advanced' },
];

const FIELD_BY_PATH = new Map(RUN_FORM_FIELDS.map((f) => [f.path, f]));

export type FormValues = Record<string, string | boolean>;

function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    const next = cur[part];
    if (next === null || typeof next !== 'object') cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1];
  if (value === undefined) delete cur[last];
  else cur[last] = value;
}

/** Defaults for dataset fields the preset's dataset kind does not have. */
const DATASET_FIELD_DEFAULTS: Record<string, string> = {
  'dataset.trainSize': '8000',
  'dataset.valSize': '2000',
  'dataset.root': '',
  'dataset.corruptThreshold': '0.001',
};

export function valuesFromConfig(config: RunConfigInput | RunConfig): FormValues {
  const values: FormValues = {};
  for (const f of RUN_FORM_FIELDS) {
    const v = getPath(config, f.path);
    if (f.kind === 'checkbox') values[f.path] = v === true;
    else if (v === undefined || v === null) values[f.path] = DATASET_FIELD_DEFAULTS[f.path] ?? '';
    // A preset's placeholder folder is not a folder: the field starts empty and says it is required.
    else if (f.path === 'dataset.root' && typeof v === 'string' && isPlaceholderRoot(v)) values[f.path] = '';
    else values[f.path] = String(v);
  }
  return values;
}

export function isFieldVisible(field: FieldSpec, values: FormValues): boolean {
  return !field.datasetKinds || field.datasetKinds.includes(String(values['dataset.kind']));
}

function numberOf(raw: string): number | undefined {
  const t = raw.trim();
  if (t === '') return undefined;
  // Number('') is 0 and Number('1e') is NaN; both are handled: '' above, NaN by the schema
  return Number(t);
}

/** The candidate config: the base (preset) with the form's values written over it. */
export function configFromValues(base: RunConfigInput | RunConfig, values: FormValues): Record<string, unknown> {
  // JSON copy: the base may be a reactive proxy, which structuredClone refuses
  const config = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  const kind = String(values['dataset.kind'] ?? getPath(base, 'dataset.kind'));
  config.dataset = { kind };
  for (const f of RUN_FORM_FIELDS) {
    if (f.path === 'dataset.kind') continue;
    if (f.datasetKinds && !f.datasetKinds.includes(kind)) continue;
    const raw = values[f.path];
    let v: unknown;
    if (f.kind === 'checkbox') v = raw === true;
    else if (f.kind === 'int' || f.kind === 'number') v = numberOf(String(raw ?? ''));
    else v = String(raw ?? '');
    if (v === undefined && !f.optional) {
      setPath(config, f.path, undefined);
      // keep the key absent: the schema reports it as required
      continue;
    }
    setPath(config, f.path, v);
  }
  return config;
}

type ZodIssue = z.core.$ZodIssue;

function boundOf(n: unknown): string {
  return typeof n === 'number' || typeof n === 'bigint' ? Number(n).toLocaleString('en-US', { maximumFractionDigits: 6 }) : String(n);
}

/** A sentence that names the field: "Epochs must be at least 1". */
export function describeSchemaIssue(label: string, issue: ZodIssue, raw: unknown): string {
  switch (issue.code) {
    case 'invalid_type': {
      const blank = raw === undefined || (typeof raw === 'string' && raw.trim() === '');
      if (blank) return `${label} is required`;
      if (issue.expected === 'int') return `${label} must be a whole number`;
      if (issue.expected === 'number') return `${label} must be a number`;
      return `${label}: ${issue.message}`;
    }
    case 'too_small':
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return `${label} is required`;
      if (issue.origin === 'number' || issue.origin === 'int')
        return issue.inclusive === false
          ? `${label} must be greater than ${boundOf(issue.minimum)}`
          : `${label} must be at least ${boundOf(issue.minimum)}`;
      return `${label}: ${issue.message}`;
    case 'too_big':
      if (issue.origin === 'string') return `${label} must be at most ${boundOf(issue.maximum)} characters`;
      if (issue.origin === 'number' || issue.origin === 'int')
        return issue.inclusive === false
          ? `${label} must be less than ${boundOf(issue.maximum)}`
          : `${label} must be at most ${boundOf(issue.maximum)}`;
      return `${label}: ${issue.message}`;
    case 'invalid_value':
      return `${label} must be one of ${issue.values.map(String).join(', ')}`;
    default:
      return `${label}: ${issue.message}`;
  }
}

export interface FormValidation {
  /** The parsed config when the form is valid. */
  config: RunConfig | null;
  /** Message per field path (first issue wins). */
  fieldErrors: Record<string, string>;
  /** Issues that no visible field can show, already worded. */
  otherErrors: string[];
}

export function validateRunForm(base: RunConfigInput | RunConfig, values: FormValues): FormValidation {
  const candidate = configFromValues(base, values);
  const r = RunConfigSchema.safeParse(candidate);
  if (r.success) return { config: r.data, fieldErrors: {}, otherErrors: [] };
  const fieldErrors: Record<string, string> = {};
  const otherErrors: string[] = [];
  for (const issue of r.error.issues) {
    const path = fieldPath(issue.path);
    const spec = FIELD_BY_PATH.get(path);
    if (spec && isFieldVisible(spec, values)) {
      if (!fieldErrors[path]) fieldErrors[path] = describeSchemaIssue(spec.label, issue, values[path]);
    } else {
      otherErrors.push(path ? `${path}: ${issue.message}` : issue.message);
    }
  }
  return { config: null, fieldErrors, otherErrors };
}

/**
 * Server issues of `runs.create` name paths under `config.`; they go next to their field when
 * there is one, otherwise into the general list (still naming the path).
 */
export function placeServerIssues(
  issues: readonly FieldIssue[],
  values: FormValues,
  prefix = 'config',
): { fieldErrors: Record<string, string>; otherErrors: string[] } {
  const fieldErrors: Record<string, string> = {};
  const otherErrors: string[] = [];
  for (const issue of issues) {
    let path = issue.path;
    if (path === prefix) path = '';
    else if (path.startsWith(`${prefix}.`)) path = path.slice(prefix.length + 1);
    const spec = FIELD_BY_PATH.get(path);
    if (spec && isFieldVisible(spec, values)) {
      if (!fieldErrors[path]) fieldErrors[path] = `${spec.label}: ${issue.message}`;
    } else {
      otherErrors.push(path ? `${path}: ${issue.message}` : issue.message);
    }
  }
  return { fieldErrors, otherErrors };
}
