/** The Slurm flags that go with `--on CLUSTER` (`snca train`, `snca eval`): overrides of the cluster's defaults. */
export interface SlurmFlags {
  on?: string;
  partition?: string;
  gpus?: number;
  time?: string;
}

/** The overrides given, for runs.submit / evaluations.create. */
export function slurmOverrides(flags: SlurmFlags): { partition?: string; gpus?: number; time?: string } {
  return {
    ...(flags.partition !== undefined ? { partition: flags.partition } : {}),
    ...(flags.gpus !== undefined ? { gpus: flags.gpus } : {}),
    ...(flags.time !== undefined ? { time: flags.time } : {}),
  };
}

/** Whether Slurm flags were given without --on (they would be ignored: refused instead). */
export function slurmFlagsWithoutCluster(flags: SlurmFlags): boolean {
  return flags.on === undefined && Object.keys(slurmOverrides(flags)).length > 0;
}
