/** Every schema version, in order. Add a file `NNNN-what.ts` exporting `up(db)` and list it here. */
import type { Migration } from '../migrator.ts';
import { up as up0001 } from './0001-runs.ts';
import { up as up0002 } from './0002-queue-housekeeping-evaluations.ts';
import { up as up0003 } from './0003-metric-summary-evaluation-samples.ts';
import { up as up0004 } from './0004-clusters.ts';
import { up as up0005 } from './0005-evaluation-cancelled.ts';
import { up as up0006 } from './0006-change-versions.ts';
import { up as up0007 } from './0007-metric-blocks.ts';
import { up as up0008 } from './0008-models.ts';
import { up as up0009 } from './0009-cluster-evaluations.ts';
import { up as up0010 } from './0010-run-table-side-tables.ts';
import { up as up0011 } from './0011-evaluation-models.ts';
import { up as up0012 } from './0012-metric-block-levels.ts';
import { up as up0013 } from './0013-evaluation-dataset-state.ts';

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: '0001-runs', up: up0001 },
  { version: 2, name: '0002-queue-housekeeping-evaluations', up: up0002 },
  { version: 3, name: '0003-metric-summary-evaluation-samples', up: up0003 },
  { version: 4, name: '0004-clusters', up: up0004 },
  { version: 5, name: '0005-evaluation-cancelled', up: up0005 },
  { version: 6, name: '0006-change-versions', up: up0006 },
  { version: 7, name: '0007-metric-blocks', up: up0007 },
  { version: 8, name: '0008-models', up: up0008 },
  { version: 9, name: '0009-cluster-evaluations', up: up0009 },
  { version: 10, name: '0010-run-table-side-tables', up: up0010 },
  { version: 11, name: '0011-evaluation-models', up: up0011 },
  { version: 12, name: '0012-metric-block-levels', up: up0012 },
  { version: 13, name: '0013-evaluation-dataset-state', up: up0013 },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.length;
