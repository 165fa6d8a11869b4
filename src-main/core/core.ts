/**
 * Assembles the services every shell (Electron, serve mode, CLI) calls: opens the store in
 * the data folder, runs start-up recovery, and wires scheduler, job supervisor and event bus.
 * No Electron and no HTTP in here. The store stays private to the core: every client reads
 * and writes through the services, the CLI through `call` like the transports.
 */
import type { ApiHandlers, MethodInput, MethodName, MethodOutput } from '../../shared/api.ts';
import { ApiError } from '../../shared/api-error.ts';
import type { BackendName } from '../../shared/domain.ts';
import type { AllowedDevices, ComputeDevice } from '../../shared/compute-devices.ts';
import { openStore } from '../store/store.ts';
import { createApiHandlers, type SystemFacts } from './api-handlers.ts';
import { EvaluationsService } from './evaluations-service.ts';
import { GpuSampler, type CommandRunner } from './hardware.ts';
import { RunHousekeeping } from './run-housekeeping.ts';
import { dispatchCall } from './call-dispatch.ts';
import { DatasetsService, type CifarSource } from './datasets-service.ts';
import { installedBackends } from './backend-availability.ts';
import { dataPaths, prepareDataHome, resolveDataHome, type DataPaths } from './data-home.ts';
import { ChangeWatcher } from './change-watcher.ts';
import { EventBus } from './event-bus.ts';
import { DEFAULT_JOB_TIMING, type JobTiming } from './jobs/job-supervisor.ts';
import { startTrainingJob } from './jobs/training-job.ts';
import { isProcessAlive } from './process-liveness.ts';
import { recoverOrphanedRuns, type RecoveryReport } from './run-recovery.ts';
import { newRunId, type RunIdGenerator } from './run-id.ts';
import { PresetsService } from './presets-service.ts';
import { RunsService } from './runs-service.ts';
import { ClustersService } from './clusters/clusters-service.ts';
import { ClusterRunsService } from './clusters/cluster-runs-service.ts';
import { ClusterEvaluationsService } from './clusters/cluster-evaluations-service.ts';
import { RunSubmission } from './clusters/run-submission.ts';
import { RunTableService } from './run-table-service.ts';
import { CheckpointCompareService } from './checkpoint-compare-service.ts';
import { ThumbnailsService } from './thumbnails-service.ts';
import { GalleryService } from './gallery/gallery-service.ts';
import { CompareSeriesService } from './compare-series-service.ts';
import { CheckpointExportService } from './checkpoint-export-service.ts';
import { Scheduler } from './scheduler.ts';
import { appVersion, defaultBackend } from './system-info.ts';
import { DoctorService } from './doctor-service.ts';
import { discoverDevices } from './device-discovery.ts';
import { DevicesService } from './devices-service.ts';
import { pinningFor } from './scheduling/device-pinning.ts';
import { DeviceSlots } from './scheduling/device-slots.ts';
import { ModelsService } from './models-service.ts';
import { UploadsService } from './uploads-service.ts';
import type { UploadLimits } from '../../shared/uploads.ts';
import { resolveWorkerEntry, type WorkerEntry } from '../workers/worker-entry.ts';

export interface CoreOptions {
  /** Data folder; default `SNCA_HOME` or the OS app-data folder. */
  home?: string;
  /** better-sqlite3 addon to load instead of node_modules' (the Electron build, in the app). */
  sqliteBinding?: string;
  /** The training worker; default the built or source `train-worker`. Tests inject fakes. */
  workerEntry?: WorkerEntry;
  /** The backend probe of system.doctor; default the built or source `doctor-worker`. */
  doctorWorkerEntry?: WorkerEntry;
  /** Force a compute backend for runs started by this process. */
  backend?: BackendName;
  /** Which shell hosts the core (reported by system.info). */
  shell?: 'electron' | 'serve';
  /** Concurrent training jobs on a machine without devices (default 1). */
  slots?: number;
  /**
   * The GPUs jobs are pinned to, one job per device (tests inject fakes); 'discover' finds
   * them (device-discovery.ts: nvidia-smi, Dawn's adapters). Default none: unpinned slots.
   */
  devices?: readonly ComputeDevice[] | 'discover';
  /** `--devices`: the device indices this process may use (default: the settings, else all). */
  allowedDevices?: AllowedDevices;
  /** Take over queued runs left by dead processes (long-lived shells: yes; one-shot CLI commands: no). */
  adoptQueued?: boolean;
  /** Heartbeat period of owned runs (default 2 s) and the silence after which an owner counts as dead (default 30 s). */
  heartbeatMs?: number;
  staleAfterMs?: number;
  timing?: Partial<JobTiming>;
  /** Operator diagnostics (default: stderr). */
  diagnostics?: (line: string) => void;
  /** Clock and pid checks, replaceable in tests. */
  now?: () => number;
  isProcessAlive?: (pid: number) => boolean;
  newRunId?: RunIdGenerator;
  /** The evaluation worker; default the built or source `evaluate-worker`. */
  evaluateWorkerEntry?: WorkerEntry;
  /** The gallery's bank and search workers; default the built or source ones. */
  galleryBankWorkerEntry?: WorkerEntry;
  gallerySearchWorkerEntry?: WorkerEntry;
  /** The model import and embedding workers; default the built or source `model-import-worker` / `embed-worker`. */
  modelImportWorkerEntry?: WorkerEntry;
  embedWorkerEntry?: WorkerEntry;
  /** How nvidia-smi is run (tests pass a fake) and how often it is sampled while runs train (default 5 s). */
  gpuCommand?: CommandRunner;
  gpuSampleMs?: number;
  /** How often cluster runs are polled while any is active (default 3 s). */
  clusterPollMs?: number;
  /** Where CIFAR archives are downloaded from (default the official site); tests serve their own. */
  cifarSource?: CifarSource;
  /** How often what other processes stored is looked for and published on the bus (default 500 ms). */
  changePollMs?: number;
  /** Largest upload of each kind, in bytes (default uploads-service.ts DEFAULT_UPLOAD_LIMITS). */
  uploadLimits?: Partial<UploadLimits>;
}

export interface Core {
  readonly home: string;
  readonly paths: DataPaths;
  readonly bus: EventBus;
  readonly runs: RunsService;
  readonly housekeeping: RunHousekeeping;
  readonly evaluations: EvaluationsService;
  readonly runTable: RunTableService;
  readonly checkpointCompare: CheckpointCompareService;
  /** PNG thumbnails of dataset images for the app protocol and serve mode's /thumbnails route. */
  readonly thumbnails: ThumbnailsService;
  /** Nearest-neighbour galleries: banks (computed as jobs) and exact searches. */
  readonly gallery: GalleryService;
  readonly datasets: DatasetsService;
  readonly presets: PresetsService;
  readonly models: ModelsService;
  /** Files the page sends in serve mode (gallery query images, checkpoints to import). */
  readonly uploads: UploadsService;
  readonly scheduler: Scheduler;
  readonly devices: DevicesService;
  readonly handlers: ApiHandlers;
  /**
   * One contract call through the same dispatch as IPC and HTTP (input and output checked
   * against shared/api.ts): resolves to the parsed result, or rejects with the ApiError.
   */
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
  readonly system: SystemFacts;
  /** What start-up recovery did. */
  readonly recovery: RecoveryReport & { adopted: string[] };
  /** Stops running jobs (they end `interrupted` with `reason`), then closes the database. */
  close(reason?: string): Promise<void>;
}

export async function createCore(options: CoreOptions = {}): Promise<Core> {
  const home = options.home ?? resolveDataHome();
  const paths = dataPaths(home);
  prepareDataHome(paths);
  const diagnostics = options.diagnostics ?? ((line: string) => process.stderr.write(`snca: ${line}\n`));
  const now = options.now ?? Date.now;
  const isAlive = options.isProcessAlive ?? isProcessAlive;
  const heartbeatMs = options.heartbeatMs ?? 2000;
  const staleAfterMs = options.staleAfterMs ?? 30_000;
  const timing: JobTiming = { ...DEFAULT_JOB_TIMING, ...options.timing };
  // Resolved lazily so commands that never train (runs, serve without runs) work without a built worker.
  let entry: WorkerEntry | undefined = options.workerEntry;

  let found: readonly ComputeDevice[] = [];
  let discoveryNotes: string[] = [];
  if (options.devices === 'discover') {
    const discovery = await discoverDevices(options.gpuCommand ? { run: options.gpuCommand } : {});
    found = discovery.devices;
    discoveryNotes = discovery.notes;
  } else if (options.devices) {
    found = options.devices;
  }
  const slots = new DeviceSlots(found, Math.max(1, options.slots ?? 1));

  const store = openStore(paths.database, options.sqliteBinding ? { nativeBinding: options.sqliteBinding } : {});
  try {
    const devices = new DevicesService({ settingsPath: paths.settings, found, slots, flag: options.allowedDevices, notes: discoveryNotes });
    const bus = new EventBus((err, event) => diagnostics(`a listener of ${event} failed: ${err instanceof Error ? err.message : String(err)}`));
    const recovery = recoverOrphanedRuns(store, { now: now(), staleAfterMs, isAlive });
    if (recovery.interrupted.length > 0) {
      diagnostics(`marked ${recovery.interrupted.length} run(s) left running by a stopped process as interrupted: ${recovery.interrupted.join(', ')}`);
    }
    const scheduler = new Scheduler(
      {
        store,
        bus,
        paths,
        diagnostics,
        launch: (job, device) => {
          entry ??= resolveWorkerEntry('train-worker');
          return startTrainingJob({ store, bus, entry, timing, diagnostics }, job, device ? pinningFor(device) : undefined);
        },
        slots,
      },
      {
        slots: Math.max(1, options.slots ?? 1),
        pid: process.pid,
        heartbeatMs,
        staleAfterMs,
        isAlive,
        now,
        ...(options.backend ? { backend: options.backend } : {}),
      },
    );
    const datasets = new DatasetsService({
      home,
      bus,
      diagnostics,
      ...(options.cifarSource ? { cifarSource: options.cifarSource } : {}),
    });
    const presets = new PresetsService(datasets);
    const clusters = new ClustersService({ store, now });
    const clusterRuns = new ClusterRunsService({
      store,
      bus,
      paths,
      clusters,
      newId: options.newRunId ?? newRunId,
      now,
      diagnostics,
      ...(options.clusterPollMs ? { pollMs: options.clusterPollMs } : {}),
    });
    const runs = new RunsService({ store, bus, scheduler, datasets, clusterRuns, newId: options.newRunId ?? newRunId, pid: process.pid, now });
    const housekeeping = new RunHousekeeping({ store, bus, paths });
    const submission = new RunSubmission({ runs, housekeeping, clusterRuns, newId: options.newRunId ?? newRunId });
    const runTable = new RunTableService({ store });
    const doctor = new DoctorService(options.doctorWorkerEntry ? () => options.doctorWorkerEntry! : undefined);
    const clusterEvaluations = new ClusterEvaluationsService({
      store,
      clusters,
      home,
      now,
      diagnostics,
      record: (id, outcome) => evaluations.recordClusterOutcome(id, outcome),
      ...(options.clusterPollMs ? { pollMs: options.clusterPollMs } : {}),
    });
    const evaluations: EvaluationsService = new EvaluationsService({
      store,
      bus,
      home,
      modelDir: (id) => paths.modelDir(id),
      cluster: clusterEvaluations,
      pid: process.pid,
      now,
      isAlive,
      diagnostics,
      timing,
      slots,
      ...(options.evaluateWorkerEntry ? { entry: options.evaluateWorkerEntry } : {}),
      ...(options.backend ? { backend: options.backend } : {}),
    });
    const thumbnails = new ThumbnailsService({
      home,
      knownDatasetJsons: () => [...store.runs.datasetJsons(), ...store.evaluations.datasetJsons()],
    });
    const checkpointCompare = new CheckpointCompareService({ store, home, evaluate: (req) => evaluations.create(req), datasetIdOf: (spec) => thumbnails.datasetIdOf(spec) });
    const uploads = new UploadsService({ home, now, diagnostics, ...(options.uploadLimits ? { limits: options.uploadLimits } : {}) });
    const models = new ModelsService({
      store,
      importEnded: (path) => uploads.release(path),
      bus,
      paths,
      slots,
      pid: process.pid,
      now,
      isAlive,
      diagnostics,
      timing,
      ...(options.modelImportWorkerEntry ? { importEntry: options.modelImportWorkerEntry } : {}),
      ...(options.embedWorkerEntry ? { embedEntry: options.embedWorkerEntry } : {}),
      ...(options.backend ? { backend: options.backend } : {}),
    });
    const gpuSampler = new GpuSampler({
      store,
      bus,
      runningIds: () => scheduler.runningIds,
      diagnostics,
      ...(options.gpuCommand ? { run: options.gpuCommand } : {}),
      ...(options.gpuSampleMs ? { intervalMs: options.gpuSampleMs } : {}),
    });
    gpuSampler.start();
    const changeWatcher = new ChangeWatcher({ store, bus, diagnostics, ...(options.changePollMs ? { intervalMs: options.changePollMs } : {}) });
    changeWatcher.start();
    const backends = installedBackends();
    const system: SystemFacts = {
      version: appVersion(),
      dataHome: home,
      backends,
      backend: defaultBackend(backends, options.backend),
      shell: options.shell ?? 'serve',
    };
    const adopted = options.adoptQueued === false ? [] : scheduler.adoptOrphans(recovery.orphanedQueued);
    // Cluster runs left active while the app was closed are reconciled by the first poll.
    clusterRuns.start();
    clusterEvaluations.start();
    const gallery = new GalleryService({
      store,
      bus,
      home,
      timing,
      diagnostics,
      thumbnail: (ref) => thumbnails.thumbnail(ref),
      datasetIdOf: (spec) => thumbnails.datasetIdOf(spec),
      modelDir: (id) => paths.modelDir(id),
      slots,
      ...(options.backend ? { backend: options.backend } : {}),
      ...(options.galleryBankWorkerEntry ? { bankWorkerEntry: options.galleryBankWorkerEntry } : {}),
      ...(options.gallerySearchWorkerEntry ? { searchWorkerEntry: options.gallerySearchWorkerEntry } : {}),
    });
    const handlers = createApiHandlers(
      {
        runs, presets, datasets, scheduler, housekeeping, evaluations, runTable, checkpointCompare, compareSeries: new CompareSeriesService({ store }),
        doctor, devices, clusters, clusterRuns, submission, gallery, models, uploads,
        checkpointExport: new CheckpointExportService({ store }),
      },
      system,
    );
    let closing: Promise<void> | null = null;
    return {
      home,
      paths,
      bus,
      runs,
      scheduler,
      devices,
      system,
      datasets,
      presets,
      models,
      uploads,
      housekeeping,
      evaluations,
      runTable,
      checkpointCompare,
      thumbnails,
      gallery,
      handlers,
      call: async <M extends MethodName>(method: M, input: MethodInput<M>) => {
        const answer = await dispatchCall(handlers, method, input, diagnostics);
        if (!answer.ok) throw ApiError.fromPayload(answer.error);
        // dispatchCall checked the result against the method's output schema.
        return answer.result as MethodOutput<M>;
      },
      recovery: { ...recovery, adopted },
      close: (reason = 'SNCA Studio was closed while the run was training.') => {
        closing ??= (async () => {
          gpuSampler.stop();
          changeWatcher.stop();
          await clusterRuns.close();
          await clusterEvaluations.close();
          await scheduler.close(reason);
          await evaluations.close();
          await models.close();
          await datasets.close();
          await gallery.close();
          bus.clear();
          store.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    store.close();
    throw err;
  }
}
