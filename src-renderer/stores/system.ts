/** Version, backend and the state of the event link (shown in the top bar); the hardware readings and the backend doctor. */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { MethodOutput } from '../../shared/api.ts';
import { ApiError } from '../../shared/api-error.ts';
import { useApiClient } from '../api/client-holder.ts';
import type { ConnectionState } from '../api/client-types.ts';

export const useSystemStore = defineStore('system', () => {
  const api = useApiClient();
  const info = ref<MethodOutput<'system.info'> | null>(null);
  const error = ref<ApiError | null>(null);
  const hardware = ref<MethodOutput<'system.hardware'> | null>(null);
  const hardwareError = ref<ApiError | null>(null);
  const doctor = ref<MethodOutput<'system.doctor'> | null>(null);
  const doctorError = ref<ApiError | null>(null);
  const doctorBusy = ref(false);
  const devices = ref<MethodOutput<'system.devices'> | null>(null);
  const devicesError = ref<ApiError | null>(null);
  const connection = ref<ConnectionState>(api.connection);
  const transport = api.transport;
  let attached = false;

  function attach() {
    if (attached) return;
    attached = true;
    api.onConnection((s) => {
      connection.value = s;
    });
    connection.value = api.connection;
  }

  async function load() {
    try {
      info.value = await api.call('system.info', {});
      error.value = null;
    } catch (err) {
      error.value = ApiError.from(err);
    }
  }

  /** Reads backend, device and GPU state again (utilisation changes while runs train). */
  async function loadHardware() {
    try {
      hardware.value = await api.call('system.hardware', {});
      hardwareError.value = null;
    } catch (err) {
      hardwareError.value = ApiError.from(err);
    }
  }

  /** The backend table (probed once by the main side and cached there; `refresh` probes again). */
  async function loadDoctor(refresh = false) {
    doctorBusy.value = true;
    try {
      doctor.value = await api.call('system.doctor', { refresh });
      doctorError.value = null;
    } catch (err) {
      doctorError.value = ApiError.from(err);
    } finally {
      doctorBusy.value = false;
    }
  }

  /** The GPUs found and which ones jobs may use (one job per device). */
  async function loadDevices() {
    try {
      devices.value = await api.call('system.devices', {});
      devicesError.value = null;
    } catch (err) {
      devicesError.value = ApiError.from(err);
    }
  }

  /** Saves which device indices jobs may use (null: all) in the settings; applied at once by the main side. */
  async function setDevices(allowed: number[] | null) {
    try {
      devices.value = await api.call('system.setDevices', { allowed });
      devicesError.value = null;
    } catch (err) {
      devicesError.value = ApiError.from(err);
    }
  }

  return {
    info, error, hardware, hardwareError, doctor, doctorError, doctorBusy, devices, devicesError, connection, transport,
    attach, load, loadHardware, loadDoctor, loadDevices, setDevices,
  };
});
