/**
 * One sweep on show with its trials, refreshed while it runs, and
 * cancelling it.
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { PlatformAPIError } from '../handler';
import { asPlatformError } from '../shared/errors';
import { ITrainingAPI } from './api';
import { ISweep, ISweepDetail } from './tokens';

/**
 * How often a running sweep is fetched again.
 */
const LIVE_INTERVAL_MS = 2000;

export function isSweepLive(sweep: ISweep): boolean {
  return sweep.status === 'running';
}

export class SweepModel {
  constructor(options: SweepModel.IOptions) {
    this._api = options.api;
    this.id = options.id;
    this._poll = new Poll({
      auto: false,
      factory: () => this._fetch(),
      frequency: { interval: LIVE_INTERVAL_MS, backoff: true, max: 60 * 1000 },
      name: 'jupyter-dl:training-sweep',
      // A sweep that ended changes no more: only an asked-for refresh fetches it.
      standby: () =>
        !this._isActive ||
        (!this._forced && this._sweep !== null && !isSweepLive(this._sweep))
          ? true
          : 'when-hidden'
    });
  }

  readonly id: string;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Emitted with the sweep whenever a fresh copy arrives.
   */
  get sweepUpdated(): ISignal<this, ISweep> {
    return this._sweepUpdated;
  }

  /**
   * The sweep and its trials, `null` until they arrived.
   */
  get sweep(): ISweepDetail | null {
    return this._sweep;
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

  get isLive(): boolean {
    return this._sweep === null || isSweepLive(this._sweep);
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
    void (value ? this._poll.start() : this._poll.stop());
  }

  async refresh(): Promise<void> {
    this._forced = true;
    try {
      await this._poll.refresh();
      await this._poll.tick.catch(() => undefined);
    } finally {
      this._forced = false;
    }
  }

  /**
   * Stop the sweep and its running trials; resolves once the server
   * answered. A sweep whose trials are still stopping stays live until
   * they have.
   */
  async cancel(): Promise<void> {
    if (this._isCancelling) {
      return;
    }
    this._isCancelling = true;
    this._cancelError = null;
    this._emit();
    try {
      this._setSweep(await this._api.cancelSweep(this.id));
    } catch (reason) {
      this._cancelError = asPlatformError(reason, `sweeps/${this.id}/cancel`);
    } finally {
      this._isCancelling = false;
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

  private async _fetch(): Promise<void> {
    this._isLoading = true;
    this._emit();
    try {
      this._setSweep(await this._api.getSweep(this.id));
      this._error = null;
    } catch (reason) {
      this._error = asPlatformError(reason, `sweeps/${this.id}`);
      throw this._error;
    } finally {
      this._isLoading = false;
      this._emit();
    }
  }

  private _setSweep(sweep: ISweepDetail): void {
    this._sweep = sweep;
    this._lastUpdated = new Date();
    this._sweepUpdated.emit(sweep);
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
  private _lastUpdated: Date | null = null;
  private _poll: Poll;
  private _sweep: ISweepDetail | null = null;
  private _sweepUpdated = new Signal<this, ISweep>(this);
}

export namespace SweepModel {
  export interface IOptions {
    api: ITrainingAPI;
    id: string;
  }
}
