/** The run config `snca train` builds: a preset plus the flags given, validated with RunConfigSchema. */
import type { BackendName } from '../../shared/domain.ts';
import { PRESETS, RunConfigSchema, findPreset, type RunConfig, type RunConfigInput } from '../../shared/run-config.ts';
import { safeParseWith, type FieldIssue } from '../../shared/validation.ts';

export interface TrainFlags {
  preset: string;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  name?: string;
  seed?: number;
  backend?: BackendName;
}

/** Config fields that have a flag: errors about them name the flag. */
export const FLAG_OF_FIELD: Readonly<Record<string, string>> = {
  epochs: '--epochs',
  batchSize: '--batch-size',
  lr: '--lr',
  name: '--name',
  seed: '--seed',
  preset: '--preset',
};

export type TrainConfigResult = { ok: true; config: RunConfig } | { ok: false; message: string };

export function buildTrainConfig(flags: TrainFlags): TrainConfigResult {
  const preset = findPreset(flags.preset);
  if (!preset) {
    return { ok: false, message: `--preset: unknown preset "${flags.preset}"; available: ${PRESETS.map((p) => p.id).join(', ')}` };
  }
  const input: RunConfigInput = {
    ...preset.config,
    ...(flags.epochs !== undefined ? { epochs: flags.epochs } : {}),
    ...(flags.batchSize !== undefined ? { batchSize: flags.batchSize } : {}),
    ...(flags.lr !== undefined ? { lr: flags.lr } : {}),
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
  };
  const parsed = safeParseWith(RunConfigSchema, input);
  if (parsed.ok) return { ok: true, config: parsed.value };
  return { ok: false, message: describeForCli(parsed.issues, preset.id) };
}

/** "--epochs: Too big…" for flagged fields, "preset mnist-demo, dataset.valSize: …" for the others. */
export function describeForCli(issues: readonly FieldIssue[], presetId?: string): string {
  return issues
    .map((i) => {
      const path = i.path.replace(/^config\./, '');
      const flag = FLAG_OF_FIELD[path];
      if (flag) return `${flag}: ${i.message}`;
      return presetId ? `preset ${presetId}, ${path || 'config'}: ${i.message}` : `${path || 'config'}: ${i.message}`;
    })
    .join('; ');
}
