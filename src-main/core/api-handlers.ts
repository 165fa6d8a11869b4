/**
 * The contract's methods mapped onto the core services; inputs arrive parsed by the dispatch.
 * The rules live in the services: nothing here checks or changes what passes through.
 */
import type { ApiHandlers } from '../../shared/api.ts';
import type { BackendName } from '../../shared/domain.ts';
import type { DatasetsService } from './datasets-service.ts';
import type { DoctorService } from './doctor-service.ts';
import type { DevicesService } from './devices-service.ts';
import type { ModelsService } from './models-service.ts';
import type { UploadsService } from './uploads-service.ts';
import type { EvaluationsService } from './evaluations-service.ts';
import { describeHardware } from './hardware.ts';
import type { PresetsService } from './presets-service.ts';
import type { RunHousekeeping } from './run-housekeeping.ts';
import type { RunTableService } from './run-table-service.ts';
import type { CheckpointCompareService } from './checkpoint-compare-service.ts';
import type { CompareSeriesService } from './compare-series-service.ts';
import type { RunsService } from './runs-service.ts';
import type { Scheduler } from './scheduler.ts';
import type { ClustersService } from './clusters/clusters-service.ts';
import type { ClusterRunsService } from './clusters/cluster-runs-service.ts';
import type { RunSubmission } from './clusters/run-submission.ts';
import type { GalleryService } from './gallery/gallery-service.ts';
import type { CheckpointExportService } from './checkpoint-export-service.ts';

/** The services behind the contract's methods. */
export interface ApiServices {
  runs: RunsService;
  presets: PresetsService;
  datasets: DatasetsService;
  scheduler: Scheduler;
  housekeeping: RunHousekeeping;
  evaluations: EvaluationsService;
  runTable: RunTableService;
  checkpointCompare: CheckpointCompareService;
  compareSeries: CompareSeriesService;
  doctor: DoctorService;
  devices: DevicesService;
  clusters: ClustersService;
  clusterRuns: ClusterRunsService;
  submission: RunSubmission;
  gallery: GalleryService;
  models: ModelsService;
  uploads: UploadsService;
  checkpointExport: CheckpointExportService;
}

export interface SystemFacts {
  version: string;
  dataHome: string;
  backends: BackendName[];
  backend: BackendName;
  shell: 'electron' | 'serve';
}

export function createApiHandlers(s: ApiServices, system: SystemFacts): ApiHandlers {
  return {
    'system.info': () => ({ ...system, backends: [...system.backends], platform: process.platform }),
    'presets.list': () => s.presets.list(),
    'runs.list': (input) => s.runs.list(input),
    'runs.query': (input) => s.runTable.query(input),
    'runs.values': (input) => s.runTable.values(input),
    'runs.get': ({ id }) => s.runs.get(id),
    'runs.create': ({ config }) => s.runs.create(config),
    // A run lives either in this machine's queue or on a cluster; each has its own scheduler.
    'runs.cancel': ({ id }) => (s.clusterRuns.isClusterRun(id) ? s.clusterRuns.cancel(id) : s.runs.cancel(id)),
    'runs.metrics': ({ id, keys, maxPoints }) => s.runs.metrics(keys ? { id, keys, maxPoints } : { id, maxPoints }),
    'runs.logs': ({ id, afterId, limit }) => s.runs.logs({ id, afterId, limit }),
    'runs.checkpoints': ({ id }) => s.runs.checkpoints(id),
    'runs.resume': ({ id, checkpointId, startEpoch }) =>
      s.clusterRuns.isClusterRun(id) ? s.clusterRuns.resume(id, checkpointId) : s.runs.resume(id, checkpointId, startEpoch),
    'runs.locate': ({ ref }) => s.runs.locate(ref),
    'runs.submit': (input) => s.submission.submit(input),
    'runs.cluster': ({ id }) => s.clusterRuns.detail(id),
    'checkpoints.fetch': ({ id }) => s.clusterRuns.fetchCheckpoint(id),
    'checkpoints.export': (input) => s.checkpointExport.export(input),
    'clusters.list': () => s.clusters.list(),
    'clusters.add': (input) => s.clusters.add(input),
    'clusters.remove': ({ name }) => s.clusters.remove(name),
    'clusters.check': ({ name, install }) => s.clusters.check(name, { install }),
    'runs.reorder': ({ ids }) => s.scheduler.reorder(ids),
    'runs.removeQueued': ({ id }) => {
      s.scheduler.removeQueued(id);
      return { id, removed: true };
    },
    'runs.update': (input) => s.housekeeping.update(input),
    'runs.delete': ({ id }) => s.housekeeping.delete(id),
    'runs.export': ({ id, format }) => s.housekeeping.export(id, format),
    'runs.diskUsage': ({ ids }) => s.housekeeping.diskUsage(ids),
    'evaluations.create': (input) => s.evaluations.create(input),
    'evaluations.list': ({ runId }) => s.evaluations.list(runId),
    'compare.series': (input) => s.compareSeries.series(input),
    'compare.checkpoints': (input) => s.checkpointCompare.compare(input),
    'compare.neighbours': ({ evaluationIds, index }) => s.checkpointCompare.neighbours(evaluationIds, index),
    'evaluations.cancel': ({ id }) => s.evaluations.cancel(id),
    'system.hardware': () => describeHardware(system.backend),
    'datasets.validate': ({ spec }) => s.datasets.validate(spec),
    'datasets.download': (input) => s.datasets.download(input),
    'datasets.import': (input) => s.datasets.import(input),
    'datasets.cancelDownload': ({ jobId }) => s.datasets.cancel(jobId),
    'system.doctor': ({ refresh }) => s.doctor.report(refresh ?? false),
    'gallery.sources': () => s.gallery.sources(),
    'gallery.search': (input) => s.gallery.search(input),
    'gallery.cancelBank': ({ jobId }) => s.gallery.cancelBank(jobId),
    'gallery.export': (input) => s.gallery.export(input),
    'system.devices': () => s.devices.state(),
    'system.setDevices': ({ allowed }) => s.devices.setAllowed(allowed),
    'models.import': (input) => s.models.import(input),
    'models.cancelImport': ({ jobId }) => s.models.cancelImport(jobId),
    'models.list': () => s.models.list(),
    'models.get': ({ id }) => s.models.get(id),
    'models.remove': ({ id }) => s.models.remove(id),
    'models.update': (input) => s.models.update(input),
    'uploads.limits': () => s.uploads.limits(),
    'models.embed': ({ model, images }) => s.models.embed(model, images),
  };
}
