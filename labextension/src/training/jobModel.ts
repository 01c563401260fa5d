/**
 * One job on show: its record, refreshed while it runs, the log of the
 * chosen rank followed, and cancelling it.
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { PlatformAPIError } from '../handler';
import { asPlatformError } from '../shared/errors';
import { ITrainingAPI } from './api';
import { LogModel } from './logModel';
import { IJob, JobStatus } from './tokens';

/**
 * How often a queued or running job's record is fetched again.
 */
const LIVE_INTERVAL_MS = 2000;

export const FINAL_STATUSES: ReadonlySet<JobStatus> = new Set([
  'succeeded',
  'failed',
  'cancelled'
]);

export function isJobLive(job: IJob): boolean {
  return !FINAL_STATUSES.has(job.status);
}

export class JobModel {
  constructor(options: JobModel.IOptions) {
    this._api = options.api;
    this.id = options.id;
    this._job = options.job ?? null;
    this._poll = new Poll({
      auto: false,
      factory: () => this._fetch(),
      frequency: { interval: LIVE_INTERVAL_MS, backoff: true, max: 60 * 1000 },
      name: 'jupyter-dl:training-job',
      // A job that ended changes no more: only an asked-for refresh fetches it.
      standby: () =>
        !this._isActive ||
        (!this._forced && this._job !== null && !isJobLive(this._job))
          ? true
          : 'when-hidden'
    });
    this._log = this._makeLog(0);
  }

  readonly id: string;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Emitted with the job whenever a fresh copy arrives.
   */
  get jobUpdated(): ISignal<this, IJob> {
    return this._jobUpdated;
  }

  /**
   * The job, `null` until it arrived.
   */
  get job(): IJob | null {
    return this._job;
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
   * Whether the job may still change.
   */
  get isLive(): boolean {
    return this._job === null || isJobLive(this._job);
  }

  /**
   * The log on show, of rank `log.rank`.
   */
  get log(): LogModel {
    return this._log;
  }

  get isCancelling(): boolean {
    return this._isCancelling;
  }

  /**
   * Why the last cancel failed, `null` otherwise.
   */
  get cancelError(): PlatformAPIError | null {
    return this._cancelError;
  }

  get isActive(): boolean {
    return this._isActive;
  }

  set isActive(value: boolean) {
    if (value === this._isActive || this._isDisposed) {
      return;
    }
    this._isActive = value;
    this._log.isActive = value;
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
   * Show another rank's log.
   */
  setRank(rank: number): void {
    if (rank === this._log.rank) {
      return;
    }
    this._log.dispose();
    this._log = this._makeLog(rank);
    this._log.isActive = this._isActive;
    this._changed.emit();
  }

  async refresh(): Promise<void> {
    this._forced = true;
    try {
      await this._poll.refresh();
      await this._poll.tick.catch(() => undefined);
    } finally {
      this._forced = false;
    }
    void this._log.refresh();
  }

  /**
   * Stop the job and every process it started; resolves once the server
   * answered (the job is then cancelled, or had already ended).
   */
  async cancel(): Promise<void> {
    if (this._isCancelling) {
      return;
    }
    this._isCancelling = true;
    this._cancelError = null;
    this._emit();
    try {
      const job = await this._api.cancel(this.id);
      this._setJob(job);
    } catch (reason) {
      this._cancelError = asPlatformError(reason, `jobs/${this.id}/cancel`);
    } finally {
      this._isCancelling = false;
      this._emit();
    }
    void this._log.refresh();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._poll.dispose();
    this._log.dispose();
    Signal.clearData(this);
  }

  private _makeLog(rank: number): LogModel {
    const log = new LogModel({ api: this._api, job: this.id, rank });
    log.changed.connect(() => this._emit());
    return log;
  }

  private async _fetch(): Promise<void> {
    this._isLoading = true;
    this._emit();
    try {
      this._setJob(await this._api.getJob(this.id));
      this._error = null;
    } catch (reason) {
      this._error = asPlatformError(reason, `jobs/${this.id}`);
      throw this._error;
    } finally {
      this._isLoading = false;
      this._emit();
    }
  }

  private _setJob(job: IJob): void {
    this._job = job;
    this._lastUpdated = new Date();
    this._jobUpdated.emit(job);
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  private _api: ITrainingAPI;
  private _cancelError: PlatformAPIError | null = null;
  private _changed = new Signal<this, void>(this);
  private _error: PlatformAPIError | null = null;
  private _forced = false;
  private _isActive = false;
  private _isCancelling = false;
  private _isDisposed = false;
  private _isLoading = false;
  private _job: IJob | null;
  private _jobUpdated = new Signal<this, IJob>(this);
  private _lastUpdated: Date | null = null;
  private _log: LogModel;
  private _poll: Poll;
}

export namespace JobModel {
  export interface IOptions {
    api: ITrainingAPI;
    id: string;
    /**
     * The job as already known (from the list, or the launch), shown at once.
     */
    job?: IJob | null;
  }
}
