/**
 * The state behind one deployment's page: the deployment (polled every two
 * seconds while it starts and while it runs), the end of its log, the
 * readings of its counters that the monitoring charts are drawn from, and
 * the "try it" form: a request (prefilled with the version's example), and
 * the deployment's answer to it.
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { PlatformAPIError } from '../handler';
import { asPlatformError } from '../shared/errors';
import { IRegistryAPI } from './api';
import { IMonitorSeries, monitorSeries } from './monitoring';
import {
  IDeployment,
  IDeploymentMetrics,
  IInferResponse,
  JSONValue
} from './tokens';

/**
 * How often the deployment and its counters are read while on show.
 */
export const MONITOR_INTERVAL_MS = 2000;

/**
 * How many readings the charts keep: ten minutes at one every two seconds.
 */
export const MAX_READINGS = 300;

/**
 * A deployment that is starting or running.
 */
export function isLive(deployment: IDeployment): boolean {
  return deployment.status === 'starting' || deployment.status === 'running';
}

/**
 * The deployment's answer to a request of the form.
 */
export interface ITryResult {
  response: IInferResponse;
  /**
   * Milliseconds from sending to the answer, through the Jupyter server.
   */
  elapsed: number;
}

export class DeploymentModel {
  constructor(options: DeploymentModel.IOptions) {
    this._api = options.api;
    this.id = options.id;
    this._deployment = options.deployment ?? null;
    this._poll = new Poll({
      auto: false,
      factory: () => this._tick(),
      frequency: {
        interval: MONITOR_INTERVAL_MS,
        backoff: true,
        max: 30 * 1000
      },
      name: 'jupyter-dl:models-deployment',
      standby: () =>
        !this._isActive ||
        (this._deployment !== null && !isLive(this._deployment)) ||
        'when-hidden'
    });
  }

  readonly id: string;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Emitted with the deployment whenever a newer record of it arrived.
   */
  get deploymentUpdated(): ISignal<this, IDeployment> {
    return this._deploymentUpdated;
  }

  get deployment(): IDeployment | null {
    return this._deployment;
  }

  get error(): PlatformAPIError | null {
    return this._error;
  }

  get isLoading(): boolean {
    return this._isLoading;
  }

  get lastUpdated(): Date | null {
    return this._lastUpdated;
  }

  /**
   * The end of the server process's output; `null` before it was read.
   */
  get log(): string | null {
    return this._log;
  }

  get logError(): PlatformAPIError | null {
    return this._logError;
  }

  /**
   * The readings of the counters so far, oldest first.
   */
  get readings(): readonly IDeploymentMetrics[] {
    return this._readings;
  }

  /**
   * The latest reading, `null` before the first.
   */
  get latest(): IDeploymentMetrics | null {
    return this._readings[this._readings.length - 1] ?? null;
  }

  /**
   * What the charts draw, from the readings.
   */
  get series(): IMonitorSeries {
    return this._series;
  }

  get metricsError(): PlatformAPIError | null {
    return this._metricsError;
  }

  /**
   * The request of the "try it" form, as typed.
   */
  get request(): string {
    return this._request;
  }

  set request(text: string) {
    this._request = text;
    this._emit();
  }

  /**
   * The request as the version's example has it, `null` until loaded.
   */
  get example(): string | null {
    return this._example;
  }

  get exampleError(): PlatformAPIError | null {
    return this._exampleError;
  }

  get isSending(): boolean {
    return this._isSending;
  }

  /**
   * The answer to the last request sent, `null` after an error.
   */
  get result(): ITryResult | null {
    return this._result;
  }

  /**
   * Why the last request got no answer: not JSON, refused by the model
   * (its message names the signature it expects), or the server unreachable.
   */
  get tryError(): PlatformAPIError | null {
    return this._tryError;
  }

  get isStopping(): boolean {
    return this._isStopping;
  }

  get stopError(): PlatformAPIError | null {
    return this._stopError;
  }

  get isActive(): boolean {
    return this._isActive;
  }

  /**
   * Whether anyone is looking: the deployment and its counters are read
   * only while active.
   */
  set isActive(value: boolean) {
    if (value === this._isActive || this._isDisposed) {
      return;
    }
    this._isActive = value;
    if (value) {
      void this._poll.start();
    } else {
      void this._poll.stop();
    }
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Read the deployment, its log and (while running) its counters; load the
   * example of its version into the form the first time.
   */
  async refresh(): Promise<void> {
    try {
      await this._tick();
      await this._loadLog();
    } catch {
      // Recorded on `error`.
    }
  }

  /**
   * Read the end of the log again.
   */
  async reloadLog(): Promise<void> {
    await this._loadLog();
  }

  /**
   * Put the version's example back into the form.
   */
  resetRequest(): void {
    if (this._example !== null) {
      this.request = this._example;
    }
  }

  /**
   * Send the form's request to the deployment.
   */
  async send(): Promise<void> {
    let body: JSONValue;
    try {
      body = JSON.parse(this._request) as JSONValue;
    } catch (reason) {
      this._result = null;
      this._tryError = new PlatformAPIError({
        code: 'invalid_json',
        message: `The request is not JSON: ${(reason as Error).message}`,
        url: `deployments/${this.id}/infer`
      });
      this._emit();
      return;
    }
    this._isSending = true;
    this._emit();
    const started = performance.now();
    try {
      const response = await this._api.infer(this.id, body);
      this._result = { response, elapsed: performance.now() - started };
      this._tryError = null;
    } catch (reason) {
      this._result = null;
      this._tryError = asPlatformError(reason, `deployments/${this.id}/infer`);
    } finally {
      this._isSending = false;
      this._emit();
    }
    // The charts show the request without waiting for the next reading.
    if (this._isActive && this._deployment?.status === 'running') {
      void this._poll.refresh();
    }
  }

  /**
   * Stop the deployment; requests in flight are answered first.
   */
  async stop(): Promise<void> {
    this._isStopping = true;
    this._emit();
    try {
      const deployment = await this._api.stopDeployment(this.id);
      this._setDeployment(deployment);
      this._stopError = null;
      await this._loadLog();
    } catch (reason) {
      this._stopError = asPlatformError(reason, `deployments/${this.id}/stop`);
    } finally {
      this._isStopping = false;
      this._emit();
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._poll.dispose();
    Signal.clearData(this);
  }

  /**
   * One reading: the deployment; its counters while running; its log while
   * it starts and once when it ended. Rethrows so that the poll backs off.
   */
  private async _tick(): Promise<void> {
    this._isLoading = true;
    this._emit();
    try {
      const before = this._deployment?.status;
      const deployment = await this._api.getDeployment(this.id);
      if (this._isDisposed) {
        return;
      }
      this._setDeployment(deployment);
      this._error = null;
      this._lastUpdated = new Date();
      if (this._example === null && this._exampleError === null) {
        void this._loadExample();
      }
      if (deployment.status === 'running') {
        await this._readMetrics();
      }
      if (
        deployment.status === 'starting' ||
        (before !== undefined && before !== deployment.status)
      ) {
        await this._loadLog();
      }
    } catch (reason) {
      this._error = asPlatformError(reason, `deployments/${this.id}`);
      throw this._error;
    } finally {
      this._isLoading = false;
      this._emit();
    }
  }

  private async _readMetrics(): Promise<void> {
    try {
      const reading = await this._api.deploymentMetrics(this.id);
      this._readings = [...this._readings, reading].slice(-MAX_READINGS);
      this._series = monitorSeries(this._readings);
      this._metricsError = null;
    } catch (reason) {
      this._metricsError = asPlatformError(
        reason,
        `deployments/${this.id}/metrics`
      );
    }
  }

  private async _loadLog(): Promise<void> {
    try {
      this._log = await this._api.deploymentLog(this.id);
      this._logError = null;
    } catch (reason) {
      this._logError = asPlatformError(reason, `deployments/${this.id}/log`);
    }
    this._emit();
  }

  private async _loadExample(): Promise<void> {
    const deployment = this._deployment;
    if (deployment === null || deployment.model === null) {
      return;
    }
    try {
      const example = await this._api.example(
        deployment.model,
        deployment.version
      );
      this._example = formatRequest(example as unknown as JSONValue);
      this._exampleError = null;
      if (this._request === '') {
        this._request = this._example;
      }
    } catch (reason) {
      this._exampleError = asPlatformError(
        reason,
        `models/${deployment.model}/versions/${deployment.version}/example`
      );
    }
    this._emit();
  }

  private _setDeployment(deployment: IDeployment): void {
    this._deployment = deployment;
    this._deploymentUpdated.emit(deployment);
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  private _api: IRegistryAPI;
  private _changed = new Signal<this, void>(this);
  private _deployment: IDeployment | null;
  private _deploymentUpdated = new Signal<this, IDeployment>(this);
  private _error: PlatformAPIError | null = null;
  private _example: string | null = null;
  private _exampleError: PlatformAPIError | null = null;
  private _isActive = false;
  private _isDisposed = false;
  private _isLoading = false;
  private _isSending = false;
  private _isStopping = false;
  private _lastUpdated: Date | null = null;
  private _log: string | null = null;
  private _logError: PlatformAPIError | null = null;
  private _metricsError: PlatformAPIError | null = null;
  private _poll: Poll;
  private _readings: IDeploymentMetrics[] = [];
  private _request = '';
  private _result: ITryResult | null = null;
  private _series: IMonitorSeries = monitorSeries([]);
  private _stopError: PlatformAPIError | null = null;
  private _tryError: PlatformAPIError | null = null;
}

export namespace DeploymentModel {
  export interface IOptions {
    api: IRegistryAPI;
    id: string;
    /**
     * The deployment as already known (just started, or from the list).
     */
    deployment?: IDeployment | null;
  }
}

/**
 * JSON for the request editor: objects one key a line, arrays of plain
 * values (the tensors' data and shapes) on one line each.
 */
export function formatRequest(value: JSONValue, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.every(item => item === null || typeof item !== 'object')) {
      return `[${value.map(item => JSON.stringify(item)).join(', ')}]`;
    }
    const inner = indent + '  ';
    return `[\n${value
      .map(item => inner + formatRequest(item, inner))
      .join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) {
      return '{}';
    }
    const inner = indent + '  ';
    return `{\n${entries
      .map(
        ([key, item]) =>
          `${inner}${JSON.stringify(key)}: ${formatRequest(item, inner)}`
      )
      .join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}
